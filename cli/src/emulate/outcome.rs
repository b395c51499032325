//! What an invocation takes besides its event ([`InvokeOptions`]) and what
//! it gives back ([`Outcome`]): the answer or the error, the function's log
//! lines, the breaches of the platform's contract and the timings.

use std::time::Duration;

use bytes::Bytes;

use super::breach::Breach;

/// The context of one invocation, beyond its event. `Default` is a fresh
/// request id and the function's whole timeout.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct InvokeOptions {
    /// The request id to use (`None`: a fresh one).
    pub request_id: Option<String>,
    /// The time left to the deadline when the event is handed over (`None`:
    /// the function's timeout). `replay` and `relay` pass the remaining time
    /// of the invocation they reproduce; it is capped by the timeout.
    pub deadline_in: Option<Duration>,
    /// AWS: `Lambda-Runtime-Trace-Id`.
    pub trace_id: Option<String>,
    /// AWS: `Lambda-Runtime-Client-Context`.
    pub client_context: Option<String>,
    /// AWS: `Lambda-Runtime-Cognito-Identity`.
    pub cognito_identity: Option<String>,
    /// More headers for the platform's request to the function: on AWS and
    /// SCF extra `next` headers, on FC and HTTP request headers.
    pub headers: Vec<(String, String)>,
}

impl InvokeOptions {
    /// Uses `request_id` instead of a fresh one.
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Hands the event over with `deadline_in` left to its deadline.
    pub fn deadline_in(mut self, deadline_in: Duration) -> Self {
        self.deadline_in = Some(deadline_in);
        self
    }

    /// Adds header `name: value` to the platform's request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// An error the invocation ended with: the function's own (it posted an
/// error, answered an HTTP error status) or the platform's
/// (`Sandbox.Timedout`, `Runtime.ExitError`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// `errorType`, as Lambda's Invoke API returns it.
    pub error_type: String,
    /// `errorMessage`.
    pub error_message: String,
}

/// The HTTP response of an HTTP-triggered invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    /// The status the function answered.
    pub status: u16,
    /// Its headers, in order, names lower-cased.
    pub headers: Vec<(String, String)>,
}

/// Per-phase timings seen from the platform's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timings {
    /// Start of the process to ready, when this invocation started the
    /// instance (a cold start).
    pub init: Option<Duration>,
    /// The event handed over to the answer received.
    pub invoke: Duration,
    /// The invocation asked for to its outcome ready: waiting for an
    /// earlier invocation, the cold start, the invocation, and settling
    /// the instance (freezing it, reading its last log lines).
    pub total: Duration,
}

/// How one invocation went.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The invocation's request id.
    pub request_id: String,
    /// The answer's body; on an error, the error as JSON
    /// (`{"errorType": ..., "errorMessage": ...}`, or the body the function
    /// posted with its error).
    pub body: Bytes,
    /// The error the invocation ended with, if any.
    pub error: Option<FunctionError>,
    /// For an HTTP-triggered invocation, the function's status and headers.
    pub http: Option<HttpAnswer>,
    /// The function's log lines (stdout and stderr) written while this
    /// invocation was in flight.
    pub logs: Vec<String>,
    /// The platform's contract broken by the bootstrap during this
    /// invocation (or during the init it started).
    pub breaches: Vec<Breach>,
    /// The timings.
    pub timings: Timings,
}

impl Outcome {
    /// Whether the invocation ended with an error.
    pub fn is_error(&self) -> bool {
        self.error.is_some()
    }

    /// The body as text (lossy), for printing.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// An outcome that is the platform's own error: no answer came.
    pub(crate) fn platform_error(
        request_id: String,
        error_type: &str,
        error_message: String,
    ) -> Outcome {
        let body = serde_json::json!({"errorType": error_type, "errorMessage": error_message});
        Outcome {
            request_id,
            body: Bytes::from(body.to_string()),
            error: Some(FunctionError {
                error_type: error_type.to_owned(),
                error_message,
            }),
            http: None,
            logs: Vec::new(),
            breaches: Vec::new(),
            timings: Timings::default(),
        }
    }
}
