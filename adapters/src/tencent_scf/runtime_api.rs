//! The SCF runtime API's calls (reference 3.4): `init/ready`, `next`,
//! `response`, `error`, over the shared keep-alive [`Client`], and how the
//! pull loop uses them. No version prefix and no request id in the paths:
//! one invocation at a time. An event that cannot be read whole is
//! answered with an error naming its id when the id arrived, and said on
//! stderr otherwise.

use std::sync::Arc;

use light_runtime_http_client::{
    Client, Got, PostStatus, RetryPolicy, UnreadableKind, UnreadableResponse,
};
use runtime_engine::{CancellationToken, Error, InvocationError, Lifecycle, Response};

use super::event;
use crate::function_info::CurrentFunctionInfo;
use crate::pull_loop::{log_refusal, platform_warning, unless_shut_down, Next, RuntimeApi};

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
    pub(crate) fn new(
        host: &str,
        port: &str,
        function: CurrentFunctionInfo,
        retry: RetryPolicy,
    ) -> Self {
        let endpoint: Arc<str> = format!("{host}:{port}").into();
        let described =
            format!("the SCF runtime API at {API_HOST_VAR}={host}, {API_PORT_VAR}={port}");
        ScfRuntimeApi {
            client: Client::new(endpoint, described.into(), retry),
            function,
        }
    }

    /// Ends init: `POST /runtime/init/ready` (samples send a single space),
    /// unless `shutdown` fires first (then the pull loop stops at once).
    pub(crate) async fn ready(&mut self, shutdown: &CancellationToken) -> Result<(), Error> {
        let post = self.client.post(&["/runtime/init/ready"], &[], b" ");
        let Some(status) = unless_shut_down(shutdown, post).await else {
            return Ok(());
        };
        match status? {
            PostStatus::Accepted => Ok(()),
            PostStatus::Unconfirmed(reason) => {
                platform_warning(&format!(
                    "init/ready was sent but not confirmed ({reason}); going on"
                ));
                Ok(())
            }
            PostStatus::Rejected(status, body) => Err(Error::platform(format!(
                "{} refused init/ready with status {status}: {body}",
                self.client.described()
            ))),
        }
    }

    /// Waits for the next event.
    async fn next_event(&mut self) -> Result<Got, Error> {
        self.client.get_ok(&["/runtime/invocation/next"]).await
    }

    /// An event that could not be read: answered with an error if its
    /// `request_id` is among the bytes that came, said on stderr otherwise.
    async fn unreadable(&mut self, response: UnreadableResponse) -> Result<Next, Error> {
        let Some(request_id) = response.header("request_id").map(str::to_owned) else {
            platform_warning(&format!(
                "the SCF runtime API sent an event that cannot be read ({}) and whose \
                 request_id did not arrive; answering it without an id",
                response.reason
            ));
            return self.refuse(&response, "").await;
        };
        self.refuse(&response, &request_id).await
    }

    async fn refuse(
        &mut self,
        response: &UnreadableResponse,
        request_id: &str,
    ) -> Result<Next, Error> {
        let error_type = match response.kind {
            UnreadableKind::BodyTooLarge => "Runtime.EventTooLarge",
            _ => "Runtime.InvalidEvent",
        };
        let message = format!("the event could not be read: {}", response.reason);
        platform_warning(&format!(
            "the SCF runtime API sent event {request_id:?} that cannot be run ({message}); \
             answering it with {error_type}"
        ));
        let error = InvocationError::runtime(error_type, message);
        let status = self.report_error(&error, request_id).await?;
        log_refusal("SCF runtime API", request_id, &status);
        Ok(Next::Refused)
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
        let response = match self.next_event().await? {
            Got::Response(response) => response,
            Got::Unreadable(unreadable) => return self.unreadable(unreadable).await,
        };
        match event::invocation(lifecycle, &self.function, response) {
            Ok(invocation) => Ok(Next::Invocation(invocation)),
            Err((request_id, message)) => {
                let error = InvocationError::runtime("Runtime.MalformedInvocation", message);
                let status = self.report_error(&error, &request_id).await?;
                log_refusal("SCF runtime API", &request_id, &status);
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
        log_refusal("SCF runtime API", request_id, &status);
        Ok(())
    }

    async fn post_error(&mut self, request_id: &str, error: &InvocationError) -> Result<(), Error> {
        let status = self.report_error(error, request_id).await?;
        log_refusal("SCF runtime API", request_id, &status);
        Ok(())
    }
}
