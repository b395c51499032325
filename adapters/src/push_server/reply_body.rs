//! [`ReplyBody`]: what a push route's reply carries, a whole body or a
//! streamed one, and the request's share of the byte budget
//! ([`OwnedSemaphorePermit`]) kept until hyper has taken the whole body
//! for writing, so the next large body is not read while a large answer
//! still waits in memory.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use runtime_engine::{BoxError, ResponseStream};
use tokio::sync::OwnedSemaphorePermit;

use super::reply::Reply;
use super::streamed_reply::StreamedBody;

/// Keeps `held` (if any) with `reply` until its body is written.
pub(crate) fn hold_until_written(reply: &mut Reply, held: Option<OwnedSemaphorePermit>) {
    reply.body_mut().held = held;
}

/// What the server writes: the route's body, and the budget share it holds.
#[derive(Debug)]
pub(crate) struct ReplyBody {
    content: Content,
    held: Option<OwnedSemaphorePermit>,
}

#[derive(Debug)]
enum Content {
    Whole(Full<Bytes>),
    /// Chunked on the wire, each chunk as the function yields it; boxed
    /// so whole replies, the common case, stay small.
    Streamed(Box<StreamedBody>),
}

impl ReplyBody {
    /// A body sent in one piece.
    pub(crate) fn whole(bytes: Bytes) -> Self {
        ReplyBody {
            content: Content::Whole(Full::new(bytes)),
            held: None,
        }
    }

    /// A streamed response's body.
    pub(crate) fn streamed(stream: ResponseStream) -> Self {
        ReplyBody {
            content: Content::Streamed(Box::new(StreamedBody::new(stream))),
            held: None,
        }
    }

    /// The streamed body, if this is one.
    pub(crate) fn as_streamed(&mut self) -> Option<&mut StreamedBody> {
        match &mut self.content {
            Content::Streamed(streamed) => Some(streamed),
            Content::Whole(_) => None,
        }
    }
}

impl Body for ReplyBody {
    type Data = Bytes;
    /// A stream that failed midway: hyper then cuts the connection, so
    /// the client sees an unfinished chunked body, not a complete one.
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let frame = match &mut this.content {
            Content::Whole(body) => match Pin::new(body).poll_frame(cx) {
                Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(|never| match never {}))),
                Poll::Pending => Poll::Pending,
            },
            Content::Streamed(body) => Pin::new(&mut **body).poll_frame(cx),
        };
        if let Poll::Ready(None | Some(Err(_))) = frame {
            // hyper asks again only once its write buffer has room, that is
            // once the last data frame went (mostly) to the socket.
            this.held = None;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        // While a share is held, say "maybe more", so hyper polls once more
        // (after writing) rather than dropping the body at once.
        match &self.content {
            Content::Whole(body) => self.held.is_none() && body.is_end_stream(),
            Content::Streamed(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.content {
            Content::Whole(body) => body.size_hint(),
            Content::Streamed(_) => SizeHint::default(),
        }
    }
}
