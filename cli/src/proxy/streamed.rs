//! A streamed `/response` (reference 1.8): its chunks forwarded to the
//! platform as they arrive, as a [`Response::stream`], and the error
//! trailers, if the child sends them, failing the invocation there. A
//! streamed HTTP response (`application/vnd.awslambda.http-integration-response`)
//! has its prelude read into the status and headers of a
//! [`Response::from_http_body`], which the AWS adapter writes back as a
//! prelude and push platforms send as a chunked HTTP reply.

use std::pin::Pin;
use std::task::{Context, Poll};

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use light_runtime_events::http::http_api_answer;
use runtime_engine::{InvocationError, Response};
use tokio::sync::mpsc;

use super::error_body::api_error;
use super::queue::{Queue, Reply};
use super::runtime_api::{accepted, Body};

const ERROR_TYPE_TRAILER: &str = "lambda-runtime-function-error-type";
const ERROR_BODY_TRAILER: &str = "lambda-runtime-function-error-body";

/// The content type of a streamed HTTP response, whose body starts with
/// a prelude.
const HTTP_INTEGRATION: &str = "application/vnd.awslambda.http-integration-response";
/// What ends the prelude.
const PRELUDE_END: [u8; 8] = [0; 8];
/// The longest prelude read (status, headers and cookies).
const MAX_PRELUDE: usize = 64 * 1024;

/// Lambda's default limit on a streamed response.
const MAX_STREAMED: u64 = 200 * 1024 * 1024;

/// Hands the invocation a streamed response and pumps the child's body
/// into it; answers the child when its body has ended.
pub(crate) async fn stream_response(
    queue: &Queue,
    id: &str,
    request: Request<Incoming>,
) -> http::Response<Body> {
    let content_type = known_content_type(request.headers());
    let mut body = request.into_body();
    let (chunks, receiver) = mpsc::channel(16);
    let response = if content_type == HTTP_INTEGRATION {
        match read_prelude(&mut body).await {
            Ok((head, rest)) => {
                if !rest.is_empty() {
                    // The channel is new and empty: this cannot fail.
                    let _ = chunks.try_send(Ok(rest));
                }
                Response::from_http_body(http::Response::from_parts(head, ChunkBody(receiver)))
            }
            Err(message) => {
                let message = format!("the streamed HTTP response for {id} {message}");
                let error = InvocationError::runtime("Runtime.InvalidStreamingResponse", &message);
                return match queue.answer(id, Err(error)) {
                    Ok(()) => api_error(
                        http::StatusCode::BAD_REQUEST,
                        "InvalidStreamingResponse",
                        &message,
                    ),
                    Err(refusal) => super::runtime_api::refused(refusal, id),
                };
            }
        }
    } else {
        Response::stream(content_type, Chunks(receiver))
    };
    if let Err(refusal) = queue.answer(id, Ok(Reply::Streamed(response))) {
        return super::runtime_api::refused(refusal, id);
    }
    let mut sent: u64 = 0;
    let mut trailers = None;
    let failure = loop {
        match body.frame().await {
            None => break None,
            Some(Err(error)) => {
                break Some(InvocationError::runtime(
                    "Runtime.TruncatedResponse",
                    format!("the streamed response for {id} was cut short: {error}"),
                ))
            }
            Some(Ok(frame)) => {
                let frame = match frame.into_data() {
                    Ok(data) => {
                        sent += data.len() as u64;
                        if sent > MAX_STREAMED {
                            break Some(InvocationError::runtime(
                                "Function.ResponseSizeTooLarge",
                                format!("the streamed response for {id} is larger than the {MAX_STREAMED} bytes Lambda allows"),
                            ));
                        }
                        // The platform went away: keep reading so the
                        // child is answered.
                        let _ = chunks.send(Ok(data)).await;
                        continue;
                    }
                    Err(frame) => frame,
                };
                if let Ok(map) = frame.into_trailers() {
                    trailers = Some(map);
                }
            }
        }
    };
    let failure = failure.or_else(|| trailers.as_ref().and_then(trailer_error));
    match failure {
        Some(error) => {
            let too_large = error.error_type() == "Function.ResponseSizeTooLarge";
            let message = error.message().to_owned();
            let _ = chunks.send(Err(error)).await;
            if too_large {
                api_error(
                    http::StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLarge",
                    &message,
                )
            } else {
                accepted()
            }
        }
        None => accepted(),
    }
}

/// Reads an HTTP-integration stream's prelude (reference 1.8 item 6):
/// the JSON head, then eight NUL bytes. Returns the head as response
/// parts and the body bytes that came in the same frames.
async fn read_prelude(body: &mut Incoming) -> Result<(http::response::Parts, Bytes), String> {
    let mut read = bytes::BytesMut::new();
    let end = loop {
        if let Some(at) = read
            .windows(PRELUDE_END.len())
            .position(|w| w == PRELUDE_END)
        {
            break at;
        }
        if read.len() > MAX_PRELUDE {
            return Err(format!(
                "has no end to its prelude (eight NUL bytes) within {MAX_PRELUDE} bytes"
            ));
        }
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    read.extend_from_slice(&data);
                }
            }
            Some(Err(error)) => return Err(format!("was cut short in its prelude: {error}")),
            None => return Err("ended before the end of its prelude".into()),
        }
    };
    let rest = read.split_off(end + PRELUDE_END.len()).freeze();
    let mut head: serde_json::Value = serde_json::from_slice(&read[..end])
        .map_err(|error| format!("has a prelude that is not JSON: {error}"))?;
    if let Some(fields) = head.as_object_mut() {
        fields
            .entry("statusCode")
            .or_insert(serde_json::Value::from(200));
    }
    let head = serde_json::to_vec(&head).map_err(|error| error.to_string())?;
    let response = http_api_answer(&head).map_err(|error| format!("has a bad prelude: {error}"))?;
    Ok((response.into_parts().0, rest))
}

/// The error the trailers carry: its type, and its details (base64 JSON)
/// as the message.
fn trailer_error(trailers: &HeaderMap) -> Option<InvocationError> {
    let error_type = trailers.get(ERROR_TYPE_TRAILER)?.to_str().ok()?.to_owned();
    let details = trailers
        .get(ERROR_BODY_TRAILER)
        .and_then(|body| body.to_str().ok())
        .and_then(|body| {
            base64::engine::general_purpose::STANDARD
                .decode(body.trim())
                .ok()
        })
        .unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&details)
        .ok()
        .and_then(|json| json["errorMessage"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&details).into_owned());
    Some(InvocationError::handler(error_type, message))
}

/// `Response::stream` names its content type with a `'static` string:
/// the common ones are kept, anything else is sent as bytes.
fn known_content_type(headers: &HeaderMap) -> &'static str {
    let value = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/octet-stream");
    let essence = value.split(';').next().unwrap_or("").trim();
    [
        "application/json",
        "text/plain",
        "text/html",
        "text/event-stream",
        "application/x-ndjson",
        "application/vnd.awslambda.http-integration-response",
    ]
    .into_iter()
    .find(|known| known.eq_ignore_ascii_case(essence))
    .unwrap_or("application/octet-stream")
}

/// The body of a streamed HTTP response, as `Response::from_http_body`
/// reads it.
struct ChunkBody(mpsc::Receiver<Result<Bytes, InvocationError>>);

impl http_body::Body for ChunkBody {
    type Data = Bytes;
    type Error = InvocationError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, InvocationError>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|chunk| chunk.map(http_body::Frame::data)))
    }
}

/// The chunks of a streamed response, as the engine reads them.
struct Chunks(mpsc::Receiver<Result<Bytes, InvocationError>>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
