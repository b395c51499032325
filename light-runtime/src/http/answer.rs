//! The one place an HTTP function's or service's response becomes the
//! invocation's [`Response`]. A body whose length is known (a `String`, a
//! `Full`, most axum answers) is collected and answered whole; a body of
//! unknown length (`Body::from_stream`, an SSE stream) is sent as it comes
//! where the answer is HTTP (chunked on push platforms, the streaming mode
//! on AWS; see `docs/streaming.md`). A gateway's response JSON needs the
//! whole body, so behind a gateway event the body is always collected.

use bytes::Bytes;
use http_body_util::BodyExt;
use runtime_engine::{BoxError, InvocationError, Response};

use super::exchange::Reply;
use super::function::handler_error;

/// `response`, answered the way `reply` says.
pub(crate) async fn answer<B>(
    reply: Reply,
    response: http::Response<B>,
) -> Result<Response, InvocationError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    if reply.can_stream() && response.body().size_hint().exact().is_none() {
        return Ok(Response::from_http_body(response));
    }
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|error| handler_error(error.into()))?
        .to_bytes();
    reply.answer(http::Response::from_parts(parts, body))
}
