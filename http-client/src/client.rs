//! [`Client`]: the client side of pull contracts (AWS Lambda Runtime API,
//! Tencent SCF runtime API): one keep-alive connection, reconnected as
//! needed, with bounded retries when the API is unreachable or answers 5xx.
//!
//! Each pull adapter wraps [`Client`] with its own paths and headers.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use runtime_engine::Error;

use crate::connection::{Connection, RawResponse};

/// How hard to try before giving up on the runtime API.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Calls made in all, the first included.
    pub attempts: u32,
    /// The wait after the first failure; each further wait doubles it.
    pub first_backoff: Duration,
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

/// What the runtime API said to a post.
#[derive(Debug, PartialEq, Eq)]
pub enum PostStatus {
    /// 2xx: the API took the post.
    Accepted,
    /// 4xx: the API refused this post (unknown id, duplicate, too large).
    Rejected(u16, String),
}

/// A connection to a runtime API that reconnects as needed.
#[derive(Debug)]
pub struct Client {
    /// `host:port`.
    endpoint: Arc<str>,
    /// What to call the API in errors, with where its address came from,
    /// e.g. `the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001`.
    described: Arc<str>,
    connection: Option<Connection>,
    retry: RetryPolicy,
}

impl Client {
    /// A client for `endpoint` (`host:port`), named `described` in errors;
    /// it connects on the first call.
    pub fn new(endpoint: Arc<str>, described: Arc<str>, retry: RetryPolicy) -> Self {
        Client {
            endpoint,
            described,
            connection: None,
            retry,
        }
    }

    /// The API as errors name it.
    pub fn described(&self) -> &str {
        &self.described
    }

    /// Sends a `GET` (no client timeout: the process may be frozen for a
    /// long time while it is pending) and expects `200`.
    pub async fn get_ok(&mut self, path: &[&str]) -> Result<RawResponse, Error> {
        let response = self.send("GET", path, &[], b"").await?;
        if response.status == 200 {
            Ok(response)
        } else {
            Err(Error::platform(format!(
                "{} answered GET {} with status {}: {}",
                self.described,
                path.concat(),
                response.status,
                String::from_utf8_lossy(&response.body)
            )))
        }
    }

    /// Posts `body`; a 2xx is accepted, a 4xx is a refusal the caller logs.
    pub async fn post(
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
                    "runtime API call failed ({last_failure}); retrying"
                );
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(Error::platform(format!(
            "cannot use {} ({method} {}): {last_failure}; gave up after {} attempts",
            self.described,
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
