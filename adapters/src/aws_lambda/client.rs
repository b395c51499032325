//! The Runtime API client: `next`, `response`, `error`, `init/error`, with
//! bounded retries when the API is unreachable or answers 5xx.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use runtime_engine::Error;

use super::connection::{Connection, RawResponse};

const API_VERSION: &str = "/2018-06-01";

/// How hard to try before giving up on the Runtime API.
#[derive(Clone, Debug)]
pub(crate) struct RetryPolicy {
    pub(crate) attempts: u32,
    pub(crate) first_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // 5 attempts, 20 + 40 + 80 + 160 ms apart: about 300 ms before giving
        // up, well inside any init or invocation budget.
        RetryPolicy {
            attempts: 5,
            first_backoff: Duration::from_millis(20),
        }
    }
}

/// A connection to the Runtime API that reconnects as needed.
pub(crate) struct RuntimeApi {
    endpoint: Arc<str>,
    connection: Option<Connection>,
    retry: RetryPolicy,
}

/// What the Runtime API said to a post.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PostStatus {
    Accepted,
    /// 4xx: the API refused this post (unknown id, duplicate, too large).
    Rejected(u16, String),
}

impl RuntimeApi {
    pub(crate) fn new(endpoint: Arc<str>, retry: RetryPolicy) -> Self {
        RuntimeApi {
            endpoint,
            connection: None,
            retry,
        }
    }

    /// Waits for the next event. No client timeout: the process may be
    /// frozen for a long time while this is pending.
    pub(crate) async fn next(&mut self) -> Result<RawResponse, Error> {
        let response = self
            .send("GET", &[API_VERSION, "/runtime/invocation/next"], &[], b"")
            .await?;
        if response.status == 200 {
            Ok(response)
        } else {
            Err(Error::platform(format!(
                "the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API={} answered `next` with status {}: {}",
                self.endpoint,
                response.status,
                String::from_utf8_lossy(&response.body)
            )))
        }
    }

    /// Posts the function's response for `request_id`.
    pub(crate) async fn respond(
        &mut self,
        request_id: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<PostStatus, Error> {
        let path = [API_VERSION, "/runtime/invocation/", request_id, "/response"];
        self.post(&path, &[("Content-Type", content_type)], body)
            .await
    }

    /// Posts an error for `request_id`.
    pub(crate) async fn report_error(
        &mut self,
        request_id: &str,
        error_type: &str,
        body: &[u8],
    ) -> Result<PostStatus, Error> {
        let path = [API_VERSION, "/runtime/invocation/", request_id, "/error"];
        let headers = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Function-Error-Type", error_type),
        ];
        self.post(&path, &headers, body).await
    }

    /// Posts an init error.
    pub(crate) async fn report_init_error(
        &mut self,
        error_type: &str,
        body: &[u8],
    ) -> Result<PostStatus, Error> {
        let headers = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Function-Error-Type", error_type),
        ];
        self.post(&[API_VERSION, "/runtime/init/error"], &headers, body)
            .await
    }

    async fn post(
        &mut self,
        path: &[&str],
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<PostStatus, Error> {
        let response = self.send("POST", path, headers, body).await?;
        match response.status {
            200..=299 => Ok(PostStatus::Accepted),
            status => Ok(PostStatus::Rejected(
                status,
                String::from_utf8_lossy(&response.body).into_owned(),
            )),
        }
    }

    /// Sends a request, retrying with exponential backoff on connection
    /// failures and 5xx answers.
    async fn send(
        &mut self,
        method: &str,
        path: &[&str],
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<RawResponse, Error> {
        let mut backoff = self.retry.first_backoff;
        let mut last_failure = String::new();
        for attempt in 1..=self.retry.attempts {
            match self.try_send(method, path, headers, body).await {
                Ok(response) if response.status < 500 => return Ok(response),
                Ok(response) => {
                    last_failure = format!(
                        "status {}: {}",
                        response.status,
                        String::from_utf8_lossy(&response.body)
                    );
                }
                Err(error) => {
                    self.connection = None;
                    last_failure = error.to_string();
                }
            }
            if attempt < self.retry.attempts {
                tracing::debug!(
                    attempt,
                    "Runtime API call failed ({last_failure}); retrying"
                );
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(Error::platform(format!(
            "cannot use the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API={} ({method} {}): {last_failure}; gave up after {} attempts",
            self.endpoint,
            path.concat(),
            self.retry.attempts
        )))
    }

    async fn try_send(
        &mut self,
        method: &str,
        path: &[&str],
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<RawResponse> {
        let connection = match &mut self.connection {
            Some(connection) if connection.is_reusable() => connection,
            slot => slot.insert(Connection::connect(&self.endpoint).await?),
        };
        let response = connection.request(method, path, headers, body).await;
        if response.is_err() || !connection.is_reusable() {
            self.connection = None;
        }
        response
    }
}
