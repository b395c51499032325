//! The Lambda Runtime API (`/2018-06-01`): `next`, `response`, `error`,
//! `init/error`, over the shared keep-alive [`Client`] (bounded in time,
//! never posting twice), and how the pull loop uses it.
//!
//! Every request id goes into a path through [`request_id::path_segment`];
//! an event with an id that is not a plain id, or that cannot be read
//! whole, is answered with an error saying why, not run.

use std::sync::Arc;

use light_runtime_http_client::{
    Client, Got, PostStatus, RawResponse, RetryPolicy, UnreadableKind, UnreadableResponse,
};
use runtime_engine::{
    CancellationToken, Error, InvocationError, Lifecycle, Outcome, Response, ResponseStream,
};

use super::address::RuntimeApiAddress;
use super::error_body;
use super::event::{self, EventError};
use super::request_id;
use super::streaming::{self, ERROR_BODY_TRAILER, ERROR_TYPE_TRAILER, STREAMED_LIMIT};
use crate::pull_loop::{log_refusal, platform_warning, unless_shut_down, Next, RuntimeApi};

/// The variable that names the Runtime API: `host:port`, or a URL with a
/// base path (`http://host:port/base`, as cargo-lambda sets it).
pub const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

const API_VERSION: &str = "/2018-06-01";
const REQUEST_ID_HEADER: &str = "Lambda-Runtime-Aws-Request-Id";

/// The Lambda Runtime API at one endpoint, on one connection.
pub(crate) struct LambdaRuntimeApi {
    client: Client,
    /// The path every call starts with (`""`, or cargo-lambda's `/.rt`).
    base: Arc<str>,
    /// Whether `_X_AMZN_TRACE_ID` follows each invocation: only with one
    /// invocation in flight (see [`set_trace_variable`]).
    sets_trace_variable: bool,
    /// Whether we set `_X_AMZN_TRACE_ID`, so that it is removed when an
    /// invocation has no trace, without reading the environment every time.
    trace_variable_set: bool,
}

impl LambdaRuntimeApi {
    /// A client for `endpoint`; `sets_trace_variable` when it is the only one.
    pub(crate) fn new(
        endpoint: &RuntimeApiAddress,
        sets_trace_variable: bool,
        retry: RetryPolicy,
    ) -> Self {
        let described = format!("the Lambda Runtime API at {RUNTIME_API_VAR}={endpoint}");
        LambdaRuntimeApi {
            client: Client::new(endpoint.authority.clone(), described.into(), retry),
            base: endpoint.base.clone(),
            sets_trace_variable,
            trace_variable_set: false,
        }
    }

    /// Waits for the next event.
    async fn next_event(&mut self) -> Result<Got, Error> {
        self.client
            .get_ok(&[&self.base, API_VERSION, "/runtime/invocation/next"])
            .await
    }

    /// Posts the function's response for `request_id`.
    async fn respond(
        &mut self,
        request_id: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<PostStatus, Error> {
        let id = request_id::path_segment(request_id);
        let path = invocation_path(&self.base, &id, "/response");
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
        let id = request_id::path_segment(request_id);
        let path = invocation_path(&self.base, &id, "/error");
        let headers = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Function-Error-Type", error_type),
        ];
        self.client.post(&path, &headers, body).await
    }

    /// Refuses event `request_id` with `error_type` and `message`, posted
    /// as its error and said on stderr.
    async fn refuse(
        &mut self,
        request_id: &str,
        error_type: &str,
        message: &str,
    ) -> Result<Next, Error> {
        platform_warning(&format!(
            "the Runtime API sent event {request_id:?} that cannot be run ({message}); \
             answering it with {error_type}"
        ));
        let body = error_body::encode(error_type, message);
        let status = self.report_error(request_id, error_type, &body).await?;
        log_refusal("Runtime API", request_id, &status);
        Ok(Next::Refused)
    }

    /// An event that could not be read: answered with an error if its id
    /// is among the bytes that came, said on stderr otherwise.
    async fn unreadable(&mut self, response: UnreadableResponse) -> Result<Next, Error> {
        let Some(request_id) = response.header(REQUEST_ID_HEADER).map(str::to_owned) else {
            platform_warning(&format!(
                "the Runtime API sent an event that cannot be read ({}) and whose \
                 {REQUEST_ID_HEADER} did not arrive; it cannot be answered, skipping it",
                response.reason
            ));
            return Ok(Next::Unanswerable);
        };
        let error_type = match response.kind {
            UnreadableKind::BodyTooLarge => "Runtime.EventTooLarge",
            _ => "Runtime.InvalidEvent",
        };
        let message = format!("the event could not be read: {}", response.reason);
        self.refuse(&request_id, error_type, &message).await
    }

    /// Reports an init failure to `/init/error` (unless shutdown comes
    /// first) and returns it.
    pub(crate) async fn report_init_error(
        &mut self,
        error: Error,
        shutdown: &CancellationToken,
    ) -> Error {
        self.report_init_error_as(error, "Runtime.InitError", shutdown)
            .await
    }

    /// Reports an init failure of type `error_type` to `/init/error`
    /// (unless shutdown comes first) and returns it.
    pub(crate) async fn report_init_error_as(
        &mut self,
        error: Error,
        error_type: &str,
        shutdown: &CancellationToken,
    ) -> Error {
        self.report_phase_error(error, error_type, "/runtime/init/error", shutdown)
            .await
    }

    /// Reports a failed restore from a snapshot to `/restore/error`
    /// (SnapStart; unless shutdown comes first) and returns it.
    pub(crate) async fn report_restore_error(
        &mut self,
        error: Error,
        error_type: &str,
        shutdown: &CancellationToken,
    ) -> Error {
        self.report_phase_error(error, error_type, "/runtime/restore/error", shutdown)
            .await
    }

    async fn report_phase_error(
        &mut self,
        error: Error,
        error_type: &str,
        call: &'static str,
        shutdown: &CancellationToken,
    ) -> Error {
        let body = error_body::encode(error_type, &error.to_string());
        let headers = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Function-Error-Type", error_type),
        ];
        let path = [&*self.base, API_VERSION, call];
        let post = self.client.post(&path, &headers, &body);
        match unless_shut_down(shutdown, post).await {
            Some(Ok(PostStatus::Accepted)) => {}
            Some(Ok(status)) => platform_warning(&format!(
                "the error posted to {call} was not confirmed by the Runtime API: {status:?}"
            )),
            Some(Err(post_error)) => {
                platform_warning(&format!("could not post the error to {call}: {post_error}"))
            }
            None => platform_warning(&format!(
                "shutting down before the error was posted to {call}"
            )),
        }
        error
    }

    /// `GET /runtime/restore/next` (SnapStart): pending while Lambda takes
    /// the snapshot, answered once this copy of the instance is restored.
    pub(crate) async fn restore_next(&mut self) -> Result<(), Error> {
        self.client
            .get_ok(&[&self.base, API_VERSION, "/runtime/restore/next"])
            .await
            .map(drop)
    }
}

impl RuntimeApi for LambdaRuntimeApi {
    async fn next(&mut self, lifecycle: &Lifecycle) -> Result<Next, Error> {
        let response: RawResponse = match self.next_event().await? {
            Got::Response(response) => response,
            Got::Unreadable(unreadable) => return self.unreadable(unreadable).await,
        };
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
                platform_warning(&format!(
                    "the Runtime API sent an event without {REQUEST_ID_HEADER}; \
                     it cannot be answered, skipping it"
                ));
                Ok(Next::Unanswerable)
            }
            Err(EventError::BadRequestId {
                request_id,
                message,
            }) => {
                self.refuse(&request_id, "Runtime.InvalidRequestId", &message)
                    .await
            }
            Err(EventError::BadHeader {
                request_id,
                message,
            }) => {
                let body = error_body::encode("Runtime.MalformedInvocation", &message);
                let status = self
                    .report_error(&request_id, "Runtime.MalformedInvocation", &body)
                    .await?;
                log_refusal("Runtime API", &request_id, &status);
                Ok(Next::Refused)
            }
        }
    }

    async fn post_response(&mut self, request_id: &str, response: &Response) -> Result<(), Error> {
        let status = self
            .respond(request_id, response.content_type(), response.body())
            .await?;
        log_refusal("Runtime API", request_id, &status);
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
            log_refusal("Runtime API", request_id, &status);
        }
        Ok(())
    }

    async fn post_error(&mut self, request_id: &str, error: &InvocationError) -> Result<(), Error> {
        let body = error_body::for_invocation(error);
        let header = error_body::header_type(error.error_type());
        let status = self.report_error(request_id, &header, &body).await?;
        log_refusal("Runtime API", request_id, &status);
        Ok(())
    }

    /// Streams the response (see `streaming.rs`). The post starts with the
    /// first chunk, so a stream that fails before it is answered on
    /// `/error`; after it, the trailers carry the error.
    async fn post_stream(
        &mut self,
        request_id: &str,
        mut stream: ResponseStream,
    ) -> Result<Outcome, Error> {
        let first = stream.next_chunk().await;
        if let Some(Err(_)) = first {
            return self.post_outcome(request_id, stream.finish()).await;
        }
        let (content_type, prelude) = streaming::head(stream.response());
        let id = request_id::path_segment(request_id);
        let path = invocation_path(&self.base, &id, "/response");
        let headers = [
            ("Content-Type", content_type),
            ("Lambda-Runtime-Function-Response-Mode", "streaming"),
        ];
        let trailer_names = [ERROR_TYPE_TRAILER, ERROR_BODY_TRAILER];
        // An unreachable API ends the runtime, as for any post; the stream,
        // dropped, still runs its deferred hooks.
        let mut post = self
            .client
            .start_streaming_post(&path, &headers, &trailer_names)
            .await?;
        let mut next = first;
        let mut broken = None;
        if let Some(prelude) = prelude {
            broken = post.chunk(&prelude).await.err();
        }
        while broken.is_none() {
            let Some(Ok(chunk)) = next else { break };
            if let Some(error) = streaming::over_limit(&stream, STREAMED_LIMIT) {
                let outcome = stream.cut_short(error);
                return end_stream(request_id, post, outcome).await;
            }
            broken = post.chunk(&chunk).await.err();
            next = stream.next_chunk().await;
        }
        if let Some(error) = broken {
            // The API saw an unfinished request: that is the answer, and
            // it cannot be completed or sent again.
            platform_warning(&format!(
                "the streamed answer to {request_id} was cut short: {error}"
            ));
            let error = InvocationError::runtime("Runtime.StreamBroken", error.to_string());
            return Ok(stream.cut_short(error));
        }
        let outcome = stream.finish();
        end_stream(request_id, post, outcome).await
    }
}

/// Ends a streamed post with `outcome`'s error trailers (none for a
/// response) and hands `outcome` back.
async fn end_stream(
    request_id: &str,
    post: light_runtime_http_client::StreamingPost<'_>,
    outcome: Outcome,
) -> Result<Outcome, Error> {
    let trailers = streaming::trailers(&outcome);
    let trailers: Vec<(&str, &str)> = trailers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let status = post.finish(&trailers).await?;
    log_refusal("Runtime API", request_id, &status);
    Ok(outcome)
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

/// The path of a call about invocation `id` (a path segment already):
/// `{base}/2018-06-01/runtime/invocation/{id}{call}`.
fn invocation_path<'a>(base: &'a str, id: &'a str, call: &'static str) -> [&'a str; 5] {
    [base, API_VERSION, "/runtime/invocation/", id, call]
}
