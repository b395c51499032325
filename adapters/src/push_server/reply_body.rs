//! [`ReplyBody`]: a reply's body that keeps its request's share of the
//! byte budget ([`HeldBytes`]) until hyper has taken the whole body for
//! writing, so the next large body is not read while a large answer still
//! waits in memory.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::OwnedSemaphorePermit;

use super::reply::Reply;

/// A request's share of the byte budget, riding in its reply's extensions
/// from the route to [`ReplyBody`] (extensions must be `Clone`; the share
/// is given back when the last clone drops).
#[derive(Clone, Debug)]
pub(crate) struct HeldBytes(#[allow(dead_code)] Arc<OwnedSemaphorePermit>);

/// Keeps `held` (if any) with `reply` until its body is written.
pub(crate) fn hold_until_written(reply: &mut Reply, held: Option<OwnedSemaphorePermit>) {
    if let Some(permit) = held {
        reply.extensions_mut().insert(HeldBytes(Arc::new(permit)));
    }
}

/// What the server writes: the route's body, and the budget share it holds.
#[derive(Debug)]
pub(crate) struct ReplyBody {
    body: Full<Bytes>,
    held: Option<HeldBytes>,
}

/// The route's reply, its held share moved from the extensions to the body.
pub(crate) fn into_written(reply: Reply) -> http::Response<ReplyBody> {
    let (mut parts, body) = reply.into_parts();
    let held = parts.extensions.remove::<HeldBytes>();
    http::Response::from_parts(parts, ReplyBody { body, held })
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(None) = frame {
            // hyper asks again only once its write buffer has room, that is
            // once the data frame went (mostly) to the socket.
            this.held = None;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        // While a share is held, say "maybe more", so hyper polls once more
        // (after writing) rather than dropping the body at once.
        self.held.is_none() && self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
