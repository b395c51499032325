//! How the receiver reads each export format and answers in kind:
//! http/protobuf, http/json (OTLP/JSON through `opentelemetry-proto`'s
//! serde), gRPC (length-prefixed messages, `grpc-status` trailers), each
//! possibly gzip-compressed.

use std::convert::Infallible;
use std::io::Read;

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use prost::Message;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The body type every answer has.
pub(super) type AnswerBody = BoxBody<Bytes, Infallible>;

/// How a request was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`: OTLP/JSON.
    Json,
    /// `application/grpc`.
    Grpc,
}

impl Format {
    /// The format a request's `content-type` names.
    pub(super) fn of(headers: &HeaderMap) -> Format {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if content_type.starts_with("application/grpc") {
            Format::Grpc
        } else if content_type.starts_with("application/json") {
            Format::Json
        } else {
            Format::Protobuf
        }
    }
}

/// The message in a request body: inflated if the headers say gzip,
/// unframed for gRPC.
pub(super) fn message(format: Format, headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if format != Format::Grpc {
        return if header("content-encoding") == Some("gzip") {
            inflate(body)
        } else {
            Ok(body.to_vec())
        };
    }
    let (head, rest) = body
        .split_at_checked(5)
        .ok_or("a gRPC request shorter than its prefix")?;
    let length = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if rest.len() != length {
        return Err(format!(
            "a gRPC frame of {length} bytes with {} bytes",
            rest.len()
        ));
    }
    match (head[0], header("grpc-encoding")) {
        (0, _) => Ok(rest.to_vec()),
        (1, Some("gzip")) => inflate(rest),
        (1, other) => Err(format!(
            "a compressed gRPC frame with grpc-encoding {other:?}"
        )),
        (flag, _) => Err(format!("gRPC compressed flag {flag}")),
    }
}

fn inflate(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .map_err(|error| format!("the gzip body did not inflate: {error}"))?;
    Ok(out)
}

/// Decodes a request message as protobuf, or as OTLP/JSON.
pub(super) fn decode<T: Message + Default + DeserializeOwned>(
    format: Format,
    message: &[u8],
) -> Result<T, String> {
    match format {
        Format::Json => serde_json::from_slice(message).map_err(|e| format!("OTLP/JSON: {e}")),
        _ => T::decode(message).map_err(|e| e.to_string()),
    }
}

/// The answer carrying `response` in `format`.
pub(super) fn answer<T: Message + Serialize>(format: Format, response: &T) -> Response<AnswerBody> {
    match format {
        Format::Protobuf => Response::builder()
            .header("content-type", "application/x-protobuf")
            .body(full(response.encode_to_vec()))
            .expect("a valid response"),
        Format::Json => Response::builder()
            .header("content-type", "application/json")
            .body(full(
                serde_json::to_vec(response).expect("a response serialises"),
            ))
            .expect("a valid response"),
        Format::Grpc => {
            let message = response.encode_to_vec();
            let mut framed = vec![0];
            framed.extend_from_slice(&(message.len() as u32).to_be_bytes());
            framed.extend_from_slice(&message);
            let mut trailers = HeaderMap::new();
            trailers.insert("grpc-status", "0".parse().expect("a header value"));
            let frames = [
                Ok::<_, Infallible>(Frame::data(Bytes::from(framed))),
                Ok(Frame::trailers(trailers)),
            ];
            Response::builder()
                .header("content-type", "application/grpc")
                .body(StreamBody::new(futures_util::stream::iter(frames)).boxed())
                .expect("a valid response")
        }
    }
}

/// A refusal: an HTTP status with the reason, or for gRPC a trailers-only
/// answer with `grpc-status` 3 (invalid argument).
pub(super) fn refusal(format: Format, status: StatusCode, reason: String) -> Response<AnswerBody> {
    if format == Format::Grpc {
        return Response::builder()
            .header("content-type", "application/grpc")
            .header("grpc-status", "3")
            .header(
                "grpc-message",
                percent_encoding::utf8_percent_encode(&reason, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            )
            .body(full(Vec::new()))
            .expect("a valid response");
    }
    let mut response = Response::new(full(reason.into_bytes()));
    *response.status_mut() = status;
    response
}

fn full(bytes: Vec<u8>) -> AnswerBody {
    Full::new(Bytes::from(bytes)).boxed()
}
