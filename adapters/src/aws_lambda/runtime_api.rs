//! The Lambda Runtime API (`/2018-06-01`): `next`, `response`, `error`,
//! `init/error`, over the shared keep-alive [`Client`] (bounded retries),
//! and how the pull loop uses it.

use std::sync::Arc;

use light_runtime_http_client::{Client, PostStatus, RawResponse, RetryPolicy};
use runtime_engine::{Error, InvocationError, Lifecycle, Response};

use super::error_body;
use super::event::{self, EventError};
use crate::pull_loop::{Next, RuntimeApi};

/// The variable that names the Runtime API's `host:port`.
pub const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

const API_VERSION: &str = "/2018-06-01";

/// The Lambda Runtime API at one endpoint, on one connection.
pub(crate) struct LambdaRuntimeApi {
    client: Client,
    /// Whether `_X_AMZN_TRACE_ID` follows each invocation: only with one
    /// invocation in flight (see [`set_trace_variable`]).
    sets_trace_variable: bool,
    /// Whether we set `_X_AMZN_TRACE_ID`, so that it is removed when an
    /// invocation has no trace, without reading the environment every time.
    trace_variable_set: bool,
}

impl LambdaRuntimeApi {
    /// A client for `endpoint`; `sets_trace_variable` when it is the only one.
    pub(crate) fn new(endpoint: Arc<str>, sets_trace_variable: bool) -> Self {
        let described = format!("the Lambda Runtime API at {RUNTIME_API_VAR}={endpoint}");
        LambdaRuntimeApi {
            client: Client::new(endpoint, described.into(), RetryPolicy::default()),
            sets_trace_variable,
            trace_variable_set: false,
        }
    }

    /// Waits for the next event.
    async fn next_event(&mut self) -> Result<RawResponse, Error> {
        self.client
            .get_ok(&[API_VERSION, "/runtime/invocation/next"])
            .await
    }

    /// Posts the function's response for `request_id`.
    async fn respond(
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
    async fn report_error(
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

    /// Reports an init failure to `/init/error` and returns it.
    pub(crate) async fn report_init_error(&mut self, error: Error) -> Error {
        let body = error_body::encode("Runtime.InitError", &error.to_string());
        let headers = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Function-Error-Type", "Runtime.InitError"),
        ];
        let posted = self
            .client
            .post(&[API_VERSION, "/runtime/init/error"], &headers, &body)
            .await;
        if let Err(post_error) = posted {
            tracing::error!("could not report the init error: {post_error}");
        }
        error
    }
}

impl RuntimeApi for LambdaRuntimeApi {
    async fn next(&mut self, lifecycle: &Lifecycle) -> Result<Next, Error> {
        let response = self.next_event().await?;
        match event::invocation(lifecycle, response) {
            Ok(invocation) => {
                if self.sets_trace_variable {
                    self.trace_variable_set = set_trace_variable(
                        invocation.context.trace_header(),
                        self.trace_variable_set,
                    );
                }
                Ok(Next::Invocation(invocation))
            }
            Err(EventError::NoRequestId) => {
                tracing::error!("the Runtime API sent an event without Lambda-Runtime-Aws-Request-Id; it cannot be answered");
                Ok(Next::Unanswerable)
            }
            Err(EventError::BadHeader {
                request_id,
                message,
            }) => {
                let body = error_body::encode("Runtime.MalformedInvocation", &message);
                let status = self
                    .report_error(&request_id, "Runtime.MalformedInvocation", &body)
                    .await?;
                log_refusal(&request_id, &status);
                Ok(Next::Refused)
            }
        }
    }

    async fn post_response(&mut self, request_id: &str, response: &Response) -> Result<(), Error> {
        let status = self
            .respond(request_id, response.content_type(), response.body())
            .await?;
        log_refusal(request_id, &status);
        if let PostStatus::Rejected(413, _) = status {
            let error = InvocationError::runtime(
                "Function.ResponseSizeTooLarge",
                format!(
                    "the response of {} bytes is larger than Lambda's 6 MB limit",
                    response.body().len()
                ),
            );
            let body = error_body::for_invocation(&error);
            let status = self
                .report_error(request_id, "Function.ResponseSizeTooLarge", &body)
                .await?;
            log_refusal(request_id, &status);
        }
        Ok(())
    }

    async fn post_error(&mut self, request_id: &str, error: &InvocationError) -> Result<(), Error> {
        let body = error_body::for_invocation(error);
        let header = error_body::header_type(error.error_type());
        let status = self.report_error(request_id, &header, &body).await?;
        log_refusal(request_id, &status);
        Ok(())
    }
}

/// Sets `_X_AMZN_TRACE_ID` for the current invocation, as Lambda's docs ask
/// of a runtime: AWS SDKs read it to propagate the trace (aws-sdk-rust's
/// recursion detection). Only with one invocation in flight: a process-wide
/// variable cannot belong to several concurrent invocations, so managed
/// instances leave it alone and rely on `Context::trace`.
fn set_trace_variable(header: Option<&str>, was_set: bool) -> bool {
    const NAME: &str = "_X_AMZN_TRACE_ID";
    match header {
        Some(value) => {
            std::env::set_var(NAME, value);
            true
        }
        None => {
            if was_set {
                std::env::remove_var(NAME);
            }
            false
        }
    }
}

/// A refused answer is logged: the invocation already has, or can no
/// longer get, an answer. (An unreachable API is fatal and returned as `Err`.)
fn log_refusal(request_id: &str, status: &PostStatus) {
    if let PostStatus::Rejected(code, body) = status {
        tracing::warn!(
            request_id,
            "the Runtime API refused the answer with status {code}: {body}"
        );
    }
}
