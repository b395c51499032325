//! What the emulator's handlers share: a request read in full ([`Call`]),
//! the [`Reply`] they answer with, the Runtime API's error shape
//! ([`Refusal`], [`error_reply`]) and recording a call with its answer
//! ([`finish`]).

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method, Response, StatusCode};
use http_body_util::Full;

use super::record::RecordedCall;
use super::state::EmulatorState;

/// What every handler answers with.
pub(crate) type Reply = Response<Full<Bytes>>;

/// One request, read in full.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Call {
    /// The value of header `name` if present and visible ASCII.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The call as the emulator remembers it, answered with `status`.
    pub(crate) fn record(&self, status: u16) -> RecordedCall {
        RecordedCall {
            method: self.method.as_str().to_owned(),
            path: self.path.clone(),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| {
                    let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (n.as_str().to_owned(), value)
                })
                .collect(),
            body: self.body.clone(),
            status,
        }
    }
}

/// Records `call` with `reply`'s status and returns `reply`.
pub(crate) fn finish(shared: &EmulatorState, call: Call, reply: Reply) -> Reply {
    let record = call.record(reply.status().as_u16());
    shared.record(&mut shared.lock(), record);
    reply
}

/// A JSON reply.
pub(crate) fn json_reply(status: StatusCode, body: impl Into<Bytes>) -> Reply {
    let mut reply = Response::new(Full::new(body.into()));
    *reply.status_mut() = status;
    reply
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    reply
}

/// The Runtime API's own error shape: `{"errorMessage": .., "errorType": ..}`.
pub(crate) fn error_reply(status: StatusCode, error_type: &str, message: &str) -> Reply {
    let body = serde_json::json!({ "errorMessage": message, "errorType": error_type });
    json_reply(status, body.to_string())
}

/// Why a call is refused: a Runtime API error answer not yet rendered.
#[derive(Debug)]
pub(crate) struct Refusal {
    status: StatusCode,
    error_type: &'static str,
    message: String,
}

impl Refusal {
    pub(crate) fn new(
        status: StatusCode,
        error_type: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Refusal {
            status,
            error_type,
            message: message.into(),
        }
    }

    /// The refusal as `{"errorMessage": .., "errorType": ..}` with its status.
    pub(crate) fn reply(&self) -> Reply {
        error_reply(self.status, self.error_type, &self.message)
    }
}

/// Inserts header `name: value`, or answers why it cannot be sent.
pub(crate) fn insert_header(
    headers: &mut HeaderMap,
    name: &str,
    value: &str,
) -> Result<(), String> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("`{name}` is not a valid header name"))?;
    let value = HeaderValue::from_str(value)
        .map_err(|_| format!("the value of header `{name}` is not a valid header value"))?;
    headers.insert(name, value);
    Ok(())
}
