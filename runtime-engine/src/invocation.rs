//! [`Invocation`] in, [`Outcome`] out: what flows through the pipeline.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::context::{Context, ContextBuilder};
use crate::error::{BoxError, InvocationError};
use crate::headers::PlatformHeaders;
use crate::streaming::{DataFrames, ResponseStream, StreamSlot};

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
///
/// A streamed response ([`Response::stream`], [`Response::from_http_body`])
/// has no [`body`](Self::body): its chunks go to the platform as they come
/// (AWS streaming mode, chunked HTTP on push platforms), taken once by the
/// adapter with [`take_stream`](Self::take_stream). Its clones share that
/// one body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    body: Bytes,
    content_type: &'static str,
    /// Boxed so event responses, the common case, stay two words and a pointer.
    http: Option<Box<HttpParts>>,
    /// The body of a streamed response; `None` for the common, whole one.
    stream: Option<StreamSlot>,
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
            stream: None,
        }
    }

    /// A response with `body` and `content_type`.
    pub fn with_content_type(body: impl Into<Bytes>, content_type: &'static str) -> Self {
        Response {
            body: body.into(),
            content_type,
            http: None,
            stream: None,
        }
    }

    /// The response of an HTTP function: status, headers and body kept as
    /// they are. Its [`content_type`](Self::content_type) is
    /// `application/octet-stream` unless the headers name one of the common
    /// types; the `Content-Type` header itself is always what is sent.
    pub fn from_http(response: http::Response<Bytes>) -> Self {
        let (parts, body) = response.into_parts();
        Self::http_parts(parts, body, None)
    }

    fn http_parts(parts: http::response::Parts, body: Bytes, stream: Option<StreamSlot>) -> Self {
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
            stream,
        }
    }

    /// A streamed response: `body`'s chunks are sent as they come, with
    /// `content_type`. A chunk that is an error ends the stream there; the
    /// invocation then fails (on AWS with the error trailers, on push
    /// platforms by cutting the chunked reply short) and `AfterInvoke` and
    /// `AfterResponse` see that error. Yield an [`InvocationError`] to
    /// choose its type; any other error is a `Runtime.StreamError`.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use runtime_engine::{BoxError, Response};
    ///
    /// let (sender, chunks) = tokio::sync::mpsc::channel::<Result<Bytes, BoxError>>(8);
    /// let response = Response::stream("text/event-stream", ReceiverStream(chunks));
    /// assert!(response.is_stream());
    /// # drop(sender);
    /// # struct ReceiverStream<T>(tokio::sync::mpsc::Receiver<T>);
    /// # impl<T> futures_core::Stream for ReceiverStream<T> {
    /// #     type Item = T;
    /// #     fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<T>> {
    /// #         self.0.poll_recv(cx)
    /// #     }
    /// # }
    /// ```
    pub fn stream<S, E>(content_type: &'static str, body: S) -> Self
    where
        S: futures_core::Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let body = ErrInto {
            inner: Box::pin(body),
        };
        Response {
            body: Bytes::new(),
            content_type,
            http: None,
            stream: Some(StreamSlot::new(Box::pin(body))),
        }
    }

    /// An HTTP response whose body is any [`http_body::Body`] (axum's,
    /// hyper's, `http-body-util`'s), streamed: status and headers as
    /// [`from_http`](Self::from_http) keeps them, the body's data frames
    /// sent as they come (its trailers are not forwarded). A failing body
    /// fails the invocation as in [`stream`](Self::stream).
    pub fn from_http_body<B>(response: http::Response<B>) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = response.into_parts();
        let frames = DataFrames {
            body: Box::pin(body),
        };
        Self::http_parts(parts, Bytes::new(), Some(StreamSlot::new(Box::pin(frames))))
    }

    /// Whether this is a streamed response (also once its body was taken).
    pub fn is_stream(&self) -> bool {
        self.stream.is_some()
    }

    /// The body of a streamed response, for the adapter that sends it:
    /// `None` if this response is not streamed or its body was taken
    /// already (by this response or one of its clones).
    pub fn take_stream(&self) -> Option<ResponseStream> {
        self.stream.as_ref()?.take_stream(self.clone())
    }

    /// For a streamed response, the bytes of its body sent so far: all of
    /// them once the stream has ended (what `AfterInvoke` and
    /// `AfterResponse` see). `None` for a whole response.
    pub fn streamed_bytes(&self) -> Option<u64> {
        self.stream.as_ref().map(StreamSlot::sent)
    }

    /// Runs `at_end` with the invocation's final outcome when this
    /// streamed response's stream ends (after the deferred `AfterInvoke`
    /// hooks, with the outcome they leave): for layers that measure or
    /// trace an invocation to its end. Runs it at once, with this response,
    /// when the response is not streamed or its body was taken already.
    pub fn at_stream_end(&self, at_end: impl FnOnce(&Outcome) + Send + 'static) {
        let at_end: crate::streaming::AtEnd =
            Box::new(move |outcome: &mut Outcome| at_end(outcome));
        let Some(slot) = &self.stream else {
            return at_end(&mut Outcome::Response(self.clone()));
        };
        if let Err(now) = slot.defer(at_end, None) {
            now(&mut Outcome::Response(self.clone()));
        }
    }

    pub(crate) fn stream_slot(&self) -> Option<&StreamSlot> {
        self.stream.as_ref()
    }

    /// The response as HTTP: the function's status and headers if it set
    /// them, else `200` with `Content-Type` set to the content type. The
    /// body of a streamed response is empty: its chunks come from
    /// [`take_stream`](Self::take_stream).
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

    /// The body; empty for a streamed response.
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

/// A body stream with its error boxed.
struct ErrInto<S> {
    inner: std::pin::Pin<Box<S>>,
}

impl<S, E> futures_core::Stream for ErrInto<S>
where
    S: futures_core::Stream<Item = Result<Bytes, E>>,
    E: Into<BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.inner
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(|chunk| chunk.map_err(Into::into)))
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
