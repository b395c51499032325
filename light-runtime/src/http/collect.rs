//! The one place a response body becomes `Bytes`: every HTTP function and
//! service's body goes through [`collect`], so answering with a stream
//! later changes this function and nothing else.

use bytes::Bytes;
use http_body_util::BodyExt;
use runtime_engine::BoxError;

/// The whole of `body`, or the error that cut it short.
pub(crate) async fn collect<B>(body: B) -> Result<Bytes, BoxError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    Ok(body.collect().await.map_err(Into::into)?.to_bytes())
}
