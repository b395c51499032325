//! [`Reply`]: what every push route answers with, and the replies they share.

use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use runtime_engine::InvocationError;

use super::reply_body::ReplyBody;

/// What every push route answers with.
pub(crate) type Reply = http::Response<ReplyBody>;

/// An error as `{"errorType","errorMessage","requestId"}` JSON with `status`.
pub(crate) fn error_reply(status: StatusCode, error: &InvocationError, request_id: &str) -> Reply {
    let body = serde_json::json!({
        "errorType": error.error_type(),
        "errorMessage": error.message(),
        "requestId": request_id,
    });
    let mut reply = http::Response::new(ReplyBody::whole(Bytes::from(body.to_string())));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    reply
}

/// A plain-text reply for requests that are not invocations.
pub(crate) fn text_reply(status: StatusCode, text: impl Into<String>) -> Reply {
    let mut reply = http::Response::new(ReplyBody::whole(Bytes::from(text.into())));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    reply
}

/// A successful outcome as an HTTP reply: the function's own status and
/// headers for HTTP functions, else `200` with the content type. A
/// streamed response's body is taken out of it, to be written chunk by
/// chunk.
pub(crate) fn response_reply(response: runtime_engine::Response) -> Reply {
    match response.take_stream() {
        Some(stream) => response.into_http().map(|_| ReplyBody::streamed(stream)),
        None => response.into_http().map(ReplyBody::whole),
    }
}

/// An error outcome on platforms that signal failure by plain HTTP status
/// (plain HTTP, SCF web functions, local): `400` when the event could not
/// be decoded, `500` otherwise, the error type also in
/// `x-light-runtime-error-type`.
#[cfg_attr(not(any(feature = "http", feature = "local")), allow(dead_code))]
pub(crate) fn status_error_reply(error: &InvocationError, request_id: &str) -> Reply {
    let status = if error.kind() == runtime_engine::ErrorKind::MalformedEvent {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let mut reply = error_reply(status, error, request_id);
    if let Ok(value) = HeaderValue::from_str(error.error_type()) {
        reply
            .headers_mut()
            .insert("x-light-runtime-error-type", value);
    }
    reply
}
