//! A streamed `/response` (reference 1.8): its chunks forwarded to the
//! platform as they arrive, as a [`Response::stream`], and the error
//! trailers, if the child sends them, failing the invocation there.

use std::pin::Pin;
use std::task::{Context, Poll};

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use runtime_engine::{InvocationError, Response};
use tokio::sync::mpsc;

use super::error_body::api_error;
use super::queue::{Queue, Reply};
use super::runtime_api::{accepted, Body};

const ERROR_TYPE_TRAILER: &str = "lambda-runtime-function-error-type";
const ERROR_BODY_TRAILER: &str = "lambda-runtime-function-error-body";

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
    let (chunks, receiver) = mpsc::channel(16);
    let response = Response::stream(content_type, Chunks(receiver));
    if let Err(refusal) = queue.answer(id, Ok(Reply::Streamed(response))) {
        return super::runtime_api::refused(refusal, id);
    }
    let mut body = request.into_body();
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

/// The chunks of a streamed response, as the engine reads them.
struct Chunks(mpsc::Receiver<Result<Bytes, InvocationError>>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
