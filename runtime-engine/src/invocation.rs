//! [`Invocation`] in, [`Outcome`] out: what flows through the pipeline.

use bytes::Bytes;

use crate::context::Context;
use crate::error::InvocationError;

/// One event for the function: its context and its raw payload.
///
/// Layers and hooks see the raw bytes; the handler sees its typed event.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The per-invocation facts.
    pub context: Context,
    /// The event as the platform sent it.
    pub payload: Bytes,
}

impl Invocation {
    /// An invocation of `payload` with `context`.
    pub fn new(context: Context, payload: impl Into<Bytes>) -> Self {
        Invocation {
            context,
            payload: payload.into(),
        }
    }
}

/// A successful result: the bytes to send back and their content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    body: Bytes,
    content_type: &'static str,
}

impl Response {
    /// A JSON response (`application/json`) with `body`.
    pub fn json(body: impl Into<Bytes>) -> Self {
        Response {
            body: body.into(),
            content_type: "application/json",
        }
    }

    /// A response with `body` and `content_type`.
    pub fn with_content_type(body: impl Into<Bytes>, content_type: &'static str) -> Self {
        Response {
            body: body.into(),
            content_type,
        }
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body, by value.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The content type.
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }
}

/// How an invocation ended: exactly one of these is sent to the platform.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The function answered.
    Response(Response),
    /// The function, a hook or the runtime failed; the error says which.
    Error(InvocationError),
}

impl Outcome {
    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        matches!(self, Outcome::Error(_))
    }

    /// The error, if this is one.
    pub fn error(&self) -> Option<&InvocationError> {
        match self {
            Outcome::Error(error) => Some(error),
            Outcome::Response(_) => None,
        }
    }

    /// The response, if this is one.
    pub fn response(&self) -> Option<&Response> {
        match self {
            Outcome::Response(response) => Some(response),
            Outcome::Error(_) => None,
        }
    }
}

impl From<Response> for Outcome {
    fn from(response: Response) -> Self {
        Outcome::Response(response)
    }
}

impl From<InvocationError> for Outcome {
    fn from(error: InvocationError) -> Self {
        Outcome::Error(error)
    }
}
