//! One request's exchange: read the body, call the pipeline, write the reply.

use bytes::{Bytes, BytesMut};
use http::{header, HeaderValue, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use runtime_engine::{BoxError, Invocation, InvocationError, Outcome};
use tower::Service;

/// What every push route answers with.
pub(crate) type Reply = http::Response<Full<Bytes>>;

/// Reads a whole request body of at most `limit` bytes.
///
/// A body of one frame (every small request) is returned as that frame,
/// without the queue `collect` keeps; frames are only joined when more
/// than one comes.
pub(crate) async fn read_body(mut body: Incoming, limit: usize) -> Result<Bytes, String> {
    let too_large = || {
        format!("the request body could not be read: it is larger than the limit of {limit} bytes")
    };
    if body.size_hint().lower() > limit as u64 {
        return Err(too_large());
    }
    let mut first = Bytes::new();
    let mut joined: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|error| format!("the request body could not be read: {error}"))?;
        // Trailers carry no payload.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let length = first.len() + joined.as_ref().map_or(0, BytesMut::len) + data.len();
        if length > limit {
            return Err(too_large());
        }
        match &mut joined {
            Some(joined) => joined.extend_from_slice(&data),
            None if first.is_empty() => first = data,
            None => {
                let mut both = BytesMut::with_capacity(length);
                both.extend_from_slice(&first);
                both.extend_from_slice(&data);
                joined = Some(both);
            }
        }
    }
    Ok(joined.map_or(first, BytesMut::freeze))
}

/// Runs `invocation` through the pipeline; a failing service still yields
/// exactly one outcome ([`runtime_engine::pipeline::answer`]).
pub(crate) async fn call_pipeline<S>(mut service: S, invocation: Invocation) -> Outcome
where
    S: Service<Invocation, Response = Outcome>,
    S::Error: Into<BoxError>,
{
    runtime_engine::pipeline::answer(&mut service, invocation).await
}

/// An error as `{"errorType","errorMessage","requestId"}` JSON with `status`.
pub(crate) fn error_reply(status: StatusCode, error: &InvocationError, request_id: &str) -> Reply {
    let body = serde_json::json!({
        "errorType": error.error_type(),
        "errorMessage": error.message(),
        "requestId": request_id,
    });
    let mut reply = http::Response::new(Full::new(Bytes::from(body.to_string())));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    reply
}

/// A plain-text reply for requests that are not invocations.
pub(crate) fn text_reply(status: StatusCode, text: impl Into<String>) -> Reply {
    let mut reply = http::Response::new(Full::new(Bytes::from(text.into())));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    reply
}

/// A successful outcome as an HTTP reply: the function's own status and
/// headers for HTTP functions, else `200` with the content type.
pub(crate) fn response_reply(response: runtime_engine::Response) -> Reply {
    response.into_http().map(Full::new)
}
