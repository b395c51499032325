//! The Lambda Runtime API the child talks to, on 127.0.0.1 (reference 1.4
//! to 1.8, and the Extensions API's register and SHUTDOWN of 1.10).
//!
//! It refuses as Lambda refuses: an answer for an id the child does not
//! hold is `400 InvalidRequestID`, a second answer or a late `/init/error`
//! `403 InvalidStateTransition`, a buffered response over 6 MiB + 100
//! bytes `413 RequestEntityTooLarge` (and the invocation fails with
//! `Function.ResponseSizeTooLarge`). Request heads and bodies are read
//! within bounds.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use runtime_engine::InvocationError;
use tokio::net::TcpListener;

use super::error_body::{api_error, read_error, ReportedError};
use super::extensions::Extensions;
use super::queue::{Queue, Refusal, Reply};
use super::streamed::stream_response;

/// The largest buffered response Lambda takes: 6 MiB, plus the 100 bytes
/// of slack RIE allows (its 413 message cites 6291556 bytes).
pub(crate) const MAX_RESPONSE: usize = 6 * 1024 * 1024 + 100;
/// The request head a Lambda client sends is a few hundred bytes; this
/// bounds what a confused child can make us buffer.
const MAX_HEAD: usize = 64 * 1024;

const RUNTIME: &str = "/2018-06-01/runtime";
const EXTENSION: &str = "/2020-01-01/extension";

/// What every request sees.
#[derive(Debug)]
pub(crate) struct RuntimeApi {
    pub(crate) queue: Arc<Queue>,
    pub(crate) extensions: Extensions,
}

/// The server's reply body.
pub(crate) type Body = Full<Bytes>;

/// Binds 127.0.0.1 on a free port.
pub(crate) async fn bind() -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let address = listener.local_addr()?;
    Ok((listener, address))
}

/// Serves the child's connections until the runtime stops.
pub(crate) async fn serve(listener: TcpListener, api: Arc<RuntimeApi>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of descriptors and the like: wait, do not spin.
                tracing::warn!("the proxy's Runtime API could not accept a connection: {error}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let routed = api.clone();
        let service = service_fn(move |request| {
            let api = routed.clone();
            async move { Ok::<_, Infallible>(api.route(request).await) }
        });
        let connection = http1::Builder::new()
            // No header-read timeout: the only client is the child, whose
            // keep-alive connections may sit idle for as long as the
            // platform freezes it, and a closed one costs it a retry.
            .max_buf_size(MAX_HEAD)
            .serve_connection(TokioIo::new(stream), service);
        api.queue.track(async move {
            let _ = connection.await;
        });
    }
}

impl RuntimeApi {
    async fn route(&self, request: Request<Incoming>) -> http::Response<Body> {
        let path = request.uri().path().to_owned();
        let method = request.method().clone();
        if let Some(rest) = path.strip_prefix(RUNTIME) {
            return match (method, rest) {
                (Method::GET, "/invocation/next") => self.next().await,
                (Method::POST, "/init/error") => self.init_error(request).await,
                (Method::POST, rest) => match invocation_call(rest) {
                    Some((id, "response")) => self.response(&id, request).await,
                    Some((id, "error")) => self.error(&id, request).await,
                    _ => not_found(&path),
                },
                _ => not_found(&path),
            };
        }
        if let Some(rest) = path.strip_prefix(EXTENSION) {
            return match (method, rest) {
                (Method::POST, "/register") => self.extensions.register(request.headers()),
                (Method::GET, "/event/next") => self.extensions.next(request.headers()).await,
                (Method::POST, "/init/error" | "/exit/error") => {
                    let reported = read_error(request).await;
                    tracing::warn!("an extension reported {}", reported.describe());
                    accepted()
                }
                _ => not_found(&path),
            };
        }
        not_found(&path)
    }

    async fn next(&self) -> http::Response<Body> {
        self.queue.called_next();
        let delivery = self.queue.next().await;
        let mut response = http::Response::new(Full::new(delivery.payload));
        *response.headers_mut() = delivery.headers;
        response
    }

    async fn response(&self, id: &str, request: Request<Incoming>) -> http::Response<Body> {
        if let Err(refusal) = self.queue.check(id) {
            return refused(refusal, id);
        }
        let mode = request
            .headers()
            .get("lambda-runtime-function-response-mode")
            .map(|mode| mode.to_str().unwrap_or("").to_owned());
        match mode.as_deref() {
            None => {}
            Some(mode) if mode.eq_ignore_ascii_case("streaming") => {
                return stream_response(&self.queue, id, request).await;
            }
            Some(mode) => {
                let message = format!(
                    "Lambda-Runtime-Function-Response-Mode must be `streaming` or absent, not `{mode}`"
                );
                let _ = self.queue.answer(
                    id,
                    Err(InvocationError::runtime(
                        "Runtime.InvalidResponseModeHeader",
                        message.clone(),
                    )),
                );
                return api_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidFunctionResponseMode",
                    &message,
                );
            }
        }
        match read_bounded(request.into_body(), MAX_RESPONSE).await {
            Ok(body) => match self.queue.answer(id, Ok(Reply::Whole(body))) {
                Ok(()) => accepted(),
                Err(refusal) => refused(refusal, id),
            },
            Err(BodyError::TooLarge) => {
                let message = format!(
                    "the response for {id} is larger than the {MAX_RESPONSE} bytes Lambda allows"
                );
                let _ = self.queue.answer(
                    id,
                    Err(InvocationError::runtime(
                        "Function.ResponseSizeTooLarge",
                        message.clone(),
                    )),
                );
                api_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLarge",
                    &message,
                )
            }
            Err(BodyError::Broken(error)) => {
                // The child's connection broke mid-body: it gets no
                // answer to give; the invocation waits for its next try,
                // its exit or the deadline.
                api_error(
                    StatusCode::BAD_REQUEST,
                    "TruncatedHTTPRequest",
                    &format!("the response body for {id} ended early: {error}"),
                )
            }
        }
    }

    async fn error(&self, id: &str, request: Request<Incoming>) -> http::Response<Body> {
        if let Err(refusal) = self.queue.check(id) {
            return refused(refusal, id);
        }
        let ReportedError {
            error_type,
            message,
        } = read_error(request).await;
        match self
            .queue
            .answer(id, Err(InvocationError::handler(error_type, message)))
        {
            Ok(()) => accepted(),
            Err(refusal) => refused(refusal, id),
        }
    }

    async fn init_error(&self, request: Request<Incoming>) -> http::Response<Body> {
        let ReportedError {
            error_type,
            message,
        } = read_error(request).await;
        match self.queue.init_error(error_type, message) {
            Ok(()) => accepted(),
            Err(_) => api_error(
                StatusCode::FORBIDDEN,
                "InvalidStateTransition",
                "/runtime/init/error is only accepted during init",
            ),
        }
    }
}

/// Why a body was not read whole.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Longer than the limit.
    TooLarge,
    /// The connection broke mid-body.
    Broken(hyper::Error),
}

/// How much more than the limit is read (and dropped) from a body that
/// is too large, so that a client which sends its whole body before
/// reading the answer gets the 413 instead of a reset connection.
const DRAINED_BEYOND_LIMIT: usize = 4 * MAX_RESPONSE;

/// Reads `body` whole if it is at most `limit` bytes.
pub(crate) async fn read_bounded(mut body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    let mut whole = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Broken)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen <= limit {
            whole.extend_from_slice(&data);
        } else if seen > limit + DRAINED_BEYOND_LIMIT {
            // Past this, hyper closes the connection instead.
            return Err(BodyError::TooLarge);
        }
    }
    if seen > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(whole.freeze())
}

/// `/invocation/{id}/{call}` → the (percent-decoded) id and the call.
fn invocation_call(rest: &str) -> Option<(String, &str)> {
    let rest = rest.strip_prefix("/invocation/")?;
    let (id, call) = rest.rsplit_once('/')?;
    if id.is_empty() {
        return None;
    }
    Some((percent_decoded(id), call))
}

/// Request ids are UUIDs on Lambda but may be anything elsewhere; clients
/// percent-encode what a path cannot hold.
fn percent_decoded(text: &str) -> String {
    // Most ids (Lambda's UUIDs) have nothing to decode; the byte-by-byte
    // pass below cost 5k of the proxy's 78k user-space instructions per
    // invocation (callgrind) when it ran on every id.
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = match bytes[at] {
            b'%' => bytes
                .get(at + 1..at + 3)
                .and_then(|pair| std::str::from_utf8(pair).ok())
                .and_then(|pair| u8::from_str_radix(pair, 16).ok()),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn accepted() -> http::Response<Body> {
    let mut response = http::Response::new(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")));
    *response.status_mut() = StatusCode::ACCEPTED;
    response
}

pub(crate) fn refused(refusal: Refusal, id: &str) -> http::Response<Body> {
    match refusal {
        Refusal::UnknownId => api_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            &format!("no invocation {id} is waiting for an answer"),
        ),
        Refusal::InvalidState => api_error(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            &format!("invocation {id} has been answered already"),
        ),
    }
}

fn not_found(path: &str) -> http::Response<Body> {
    api_error(
        StatusCode::NOT_FOUND,
        "InvalidPath",
        &format!("the Runtime API has no {path}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_paths_give_their_id_and_call() {
        assert_eq!(
            invocation_call("/invocation/abc-1/response"),
            Some(("abc-1".into(), "response"))
        );
        assert_eq!(
            invocation_call("/invocation/a%2Fb/error"),
            Some(("a/b".into(), "error"))
        );
        assert_eq!(invocation_call("/invocation//error"), None);
        assert_eq!(invocation_call("/init/error"), None);
        assert_eq!(percent_decoded("100%"), "100%");
    }
}
