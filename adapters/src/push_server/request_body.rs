//! Reading a whole request body, within a size limit.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};

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
