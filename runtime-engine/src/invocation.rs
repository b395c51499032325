//! [`Invocation`] in, [`Outcome`] out: what flows through the pipeline.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::context::{Context, ContextBuilder};
use crate::error::InvocationError;
use crate::headers::PlatformHeaders;

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

    /// An invocation carrying an HTTP request: its method, URI and headers
    /// go into the context's extensions (see [`Context::http_request`]), its
    /// body becomes the payload.
    pub fn from_http(mut context: Context, request: http::Request<Bytes>) -> Self {
        let (parts, body) = request.into_parts();
        context.extensions_mut().insert(std::sync::Arc::new(parts));
        Invocation {
            context,
            payload: body,
        }
    }

    /// Like [`from_http`](Self::from_http), finishing `builder` with the
    /// request's headers as the platform headers too: one copy of the
    /// header map serves both (push adapters use it on every request).
    pub fn from_http_request(builder: ContextBuilder, request: http::Request<Bytes>) -> Self {
        let (parts, body) = request.into_parts();
        let parts = std::sync::Arc::new(parts);
        let mut context = builder
            .platform_headers(PlatformHeaders::from_request_parts(parts.clone()))
            .build();
        context.extensions_mut().insert(parts);
        Invocation {
            context,
            payload: body,
        }
    }
}

/// A successful result: the bytes to send back and their content type, and,
/// for HTTP functions, the status and headers.
///
/// Event platforms send only the body; push platforms that pass HTTP through
/// (FC HTTP invocations, plain HTTP, SCF web functions) also send the status
/// and headers when the function set them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    body: Bytes,
    content_type: &'static str,
    /// Boxed so event responses, the common case, stay two words and a pointer.
    http: Option<Box<HttpParts>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct HttpParts {
    status: StatusCode,
    headers: HeaderMap,
}

impl Response {
    /// A JSON response (`application/json`) with `body`.
    pub fn json(body: impl Into<Bytes>) -> Self {
        Response {
            body: body.into(),
            content_type: "application/json",
            http: None,
        }
    }

    /// A response with `body` and `content_type`.
    pub fn with_content_type(body: impl Into<Bytes>, content_type: &'static str) -> Self {
        Response {
            body: body.into(),
            content_type,
            http: None,
        }
    }

    /// The response of an HTTP function: status, headers and body kept as
    /// they are. Its [`content_type`](Self::content_type) is
    /// `application/octet-stream` unless the headers name one of the common
    /// types; the `Content-Type` header itself is always what is sent.
    pub fn from_http(response: http::Response<Bytes>) -> Self {
        let (parts, body) = response.into_parts();
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map_or("application/octet-stream", known_content_type);
        Response {
            body,
            content_type,
            http: Some(Box::new(HttpParts {
                status: parts.status,
                headers: parts.headers,
            })),
        }
    }

    /// The response as HTTP: the function's status and headers if it set
    /// them, else `200` with `Content-Type` set to the content type.
    pub fn into_http(self) -> http::Response<Bytes> {
        let mut response = http::Response::new(self.body);
        match self.http {
            Some(parts) => {
                *response.status_mut() = parts.status;
                *response.headers_mut() = parts.headers;
            }
            None => {
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static(self.content_type),
                );
            }
        }
        response
    }

    /// The HTTP status the function chose, if it is an HTTP function.
    pub fn status(&self) -> Option<StatusCode> {
        self.http.as_ref().map(|parts| parts.status)
    }

    /// The HTTP headers the function set, if it is an HTTP function.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.http.as_ref().map(|parts| &parts.headers)
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

/// The `'static` name of a common content type, so HTTP responses keep a
/// meaningful [`Response::content_type`] without allocating.
fn known_content_type(value: &str) -> &'static str {
    let essence = value.split(';').next().unwrap_or("").trim();
    const KNOWN: [&str; 6] = [
        "application/json",
        "text/plain",
        "text/html",
        "application/cloudevents+json",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
    ];
    KNOWN
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(essence))
        .unwrap_or("application/octet-stream")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_responses_round_trip_and_event_responses_get_a_content_type() {
        let response = http::Response::builder()
            .status(StatusCode::CREATED)
            .header("content-type", "text/plain; charset=utf-8")
            .header("x-order", "42")
            .body(Bytes::from_static(b"made"))
            .unwrap();
        let ours = Response::from_http(response);
        assert_eq!(ours.status(), Some(StatusCode::CREATED));
        assert_eq!(ours.content_type(), "text/plain");
        let back = ours.into_http();
        assert_eq!(back.status(), StatusCode::CREATED);
        assert_eq!(back.headers()["x-order"], "42");
        assert_eq!(back.body().as_ref(), b"made");

        let event = Response::json("{}").into_http();
        assert_eq!(event.status(), StatusCode::OK);
        assert_eq!(event.headers()["content-type"], "application/json");
    }
}
