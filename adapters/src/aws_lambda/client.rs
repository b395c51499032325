//! The Runtime API's calls: `next`, `response`, `error`, `init/error`, over
//! the shared [`Client`] (keep-alive, bounded retries).

use std::sync::Arc;

use runtime_engine::Error;

use light_runtime_http_client::{Client, PostStatus, RawResponse, RetryPolicy};

const API_VERSION: &str = "/2018-06-01";

/// The Lambda Runtime API at one endpoint.
pub(crate) struct RuntimeApi {
    client: Client,
}

impl RuntimeApi {
    pub(crate) fn new(endpoint: Arc<str>, retry: RetryPolicy) -> Self {
        let described = format!(
            "the Lambda Runtime API at {}={endpoint}",
            super::RUNTIME_API_VAR
        );
        RuntimeApi {
            client: Client::new(endpoint, described.into(), retry),
        }
    }

    /// Waits for the next event. No client timeout: the process may be
    /// frozen for a long time while this is pending.
    pub(crate) async fn next(&mut self) -> Result<RawResponse, Error> {
        self.client
            .get_ok(&[API_VERSION, "/runtime/invocation/next"])
            .await
    }

    /// Posts the function's response for `request_id`.
    pub(crate) async fn respond(
        &mut self,
        request_id: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<PostStatus, Error> {
        let path = [API_VERSION, "/runtime/invocation/", request_id, "/response"];
        self.client
            .post(&path, &[("Content-Type", content_type)], body)
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
        self.client.post(&path, &headers, body).await
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
        self.client
            .post(&[API_VERSION, "/runtime/init/error"], &headers, body)
            .await
    }
}
