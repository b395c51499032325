//! What the emulator remembers: each HTTP call ([`RecordedCall`]) and each
//! invocation's answer ([`InvocationResult`]).

use bytes::Bytes;

/// One HTTP call the emulator answered, as it arrived, with the status it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCall {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request path, without the query string.
    pub path: String,
    /// The request headers, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Bytes,
    /// The status the emulator answered with.
    pub status: u16,
}

impl RecordedCall {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::recorded::header(&self.headers, name)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        crate::recorded::body_json(&self.body)
    }
}

/// How the runtime answered one invocation: the first accepted
/// `/response` or `/error` post for its request id.
#[derive(Debug, Clone, PartialEq)]
pub enum InvocationResult {
    /// `POST .../{id}/response`.
    Response {
        /// The response body as posted.
        body: Bytes,
        /// The `Content-Type` the runtime sent, if any.
        content_type: Option<String>,
    },
    /// `POST .../{id}/error`.
    Error {
        /// The `Lambda-Runtime-Function-Error-Type` header, if sent, as sent.
        /// RIE rewrites values not shaped `Runtime.Xxx`/`Function.Xxx` to
        /// `Runtime.Unknown`; the real service's mapping is unconfirmed, so
        /// the emulator keeps the raw value.
        error_type_header: Option<String>,
        /// The posted body parsed as JSON; a body that is not JSON is kept as
        /// a JSON string, an empty one as `null` (Lambda accepts any body).
        body: serde_json::Value,
    },
}

impl InvocationResult {
    /// Whether the runtime posted an error.
    pub fn is_error(&self) -> bool {
        matches!(self, InvocationResult::Error { .. })
    }

    /// The `errorType` field of an error body.
    pub fn error_type(&self) -> Option<&str> {
        self.error_field("errorType")
    }

    /// The `errorMessage` field of an error body.
    pub fn error_message(&self) -> Option<&str> {
        self.error_field("errorMessage")
    }

    /// The body as JSON: a response body parsed (`None` if it is not JSON),
    /// or the error body.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        match self {
            InvocationResult::Response { body, .. } => serde_json::from_slice(body).ok(),
            InvocationResult::Error { body, .. } => Some(body.clone()),
        }
    }

    /// The raw body of a successful response.
    pub fn response_body(&self) -> Option<&Bytes> {
        match self {
            InvocationResult::Response { body, .. } => Some(body),
            InvocationResult::Error { .. } => None,
        }
    }

    fn error_field(&self, field: &str) -> Option<&str> {
        match self {
            InvocationResult::Error { body, .. } => body.get(field)?.as_str(),
            InvocationResult::Response { .. } => None,
        }
    }
}
