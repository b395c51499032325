//! The SCF runtime API's calls (reference 3.4): `init/ready`, `next`,
//! `response`, `error`, over the shared keep-alive [`Client`], and how the
//! pull loop uses them. No version prefix and no request id in the paths:
//! one invocation at a time.

use std::sync::Arc;

use light_runtime_http_client::{Client, PostStatus, RawResponse, RetryPolicy};
use runtime_engine::{Error, InvocationError, Lifecycle, Response};

use super::event;
use crate::function_info::CurrentFunctionInfo;
use crate::pull_loop::{Next, RuntimeApi};

/// The runtime API's host (no port).
pub const API_HOST_VAR: &str = "SCF_RUNTIME_API";
/// The runtime API's port.
pub const API_PORT_VAR: &str = "SCF_RUNTIME_API_PORT";

/// The SCF runtime API at one endpoint.
pub(crate) struct ScfRuntimeApi {
    client: Client,
    /// The function info, updated from each event's `memory_limit_in_mb`.
    function: CurrentFunctionInfo,
}

impl ScfRuntimeApi {
    pub(crate) fn new(host: &str, port: &str, function: CurrentFunctionInfo) -> Self {
        let endpoint: Arc<str> = format!("{host}:{port}").into();
        let described =
            format!("the SCF runtime API at {API_HOST_VAR}={host}, {API_PORT_VAR}={port}");
        ScfRuntimeApi {
            client: Client::new(endpoint, described.into(), RetryPolicy::default()),
            function,
        }
    }

    /// Ends init: `POST /runtime/init/ready` (samples send a single space).
    pub(crate) async fn ready(&mut self) -> Result<(), Error> {
        match self
            .client
            .post(&["/runtime/init/ready"], &[], b" ")
            .await?
        {
            PostStatus::Accepted => Ok(()),
            PostStatus::Rejected(status, body) => Err(Error::platform(format!(
                "{} refused init/ready with status {status}: {body}",
                self.client.described()
            ))),
        }
    }

    /// Waits for the next event.
    async fn next_event(&mut self) -> Result<RawResponse, Error> {
        self.client.get_ok(&["/runtime/invocation/next"]).await
    }

    /// Posts the failure of the current invocation as
    /// `{"errorType","errorMessage","requestId"}`: SCF takes any error text.
    async fn report_error(
        &mut self,
        error: &InvocationError,
        request_id: &str,
    ) -> Result<PostStatus, Error> {
        let body = serde_json::to_vec(&serde_json::json!({
            "errorType": error.error_type(),
            "errorMessage": error.message(),
            "requestId": request_id,
        }))
        .unwrap_or_default();
        self.client
            .post(
                &["/runtime/invocation/error"],
                &[("Content-Type", "application/json")],
                &body,
            )
            .await
    }
}

impl RuntimeApi for ScfRuntimeApi {
    async fn next(&mut self, lifecycle: &Lifecycle) -> Result<Next, Error> {
        let response = self.next_event().await?;
        match event::invocation(lifecycle, &self.function, response) {
            Ok(invocation) => Ok(Next::Invocation(invocation)),
            Err((request_id, message)) => {
                let error = InvocationError::runtime("Runtime.MalformedInvocation", message);
                let status = self.report_error(&error, &request_id).await?;
                log_refusal(&request_id, &status);
                Ok(Next::Refused)
            }
        }
    }

    async fn post_response(&mut self, request_id: &str, response: &Response) -> Result<(), Error> {
        let status = self
            .client
            .post(
                &["/runtime/invocation/response"],
                &[("Content-Type", response.content_type())],
                response.body(),
            )
            .await?;
        log_refusal(request_id, &status);
        Ok(())
    }

    async fn post_error(&mut self, request_id: &str, error: &InvocationError) -> Result<(), Error> {
        let status = self.report_error(error, request_id).await?;
        log_refusal(request_id, &status);
        Ok(())
    }
}

/// The first result is final on SCF: a refused post is logged, not retried.
fn log_refusal(request_id: &str, status: &PostStatus) {
    if let PostStatus::Rejected(code, body) = status {
        tracing::warn!(
            request_id,
            "the SCF runtime API refused the answer with status {code}: {body}"
        );
    }
}
