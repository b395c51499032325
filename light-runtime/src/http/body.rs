//! [`Body`]: the body of the request an HTTP function or service is given.

use std::convert::Infallible;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// A request body: the whole body, already received (platforms and
/// gateways deliver it in one piece). It derefs to `[u8]` and is an
/// `http_body::Body`, so axum's extractors (`Json`, `String`, `Bytes`)
/// read it as they read any body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body(Option<Bytes>);

impl Body {
    /// A body holding `bytes`.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Body((!bytes.is_empty()).then_some(bytes))
    }

    /// The bytes, by value.
    pub fn into_bytes(self) -> Bytes {
        self.0.unwrap_or_default()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body::new(bytes)
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::new(text)
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Body::new(Bytes::from_static(text.as_bytes()))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::new(bytes)
    }
}

impl Deref for Body {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.0.as_deref().unwrap_or_default()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.take().map(|bytes| Ok(Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |bytes| bytes.len() as u64))
    }
}

/// The request body types an HTTP function may take: `Bytes`, or [`Body`]
/// (an `http_body::Body`, for code shared with axum or hyper).
pub trait RequestBody: sealed::Sealed + Send + 'static {
    /// The body holding `bytes`.
    fn from_bytes(bytes: Bytes) -> Self;
}

impl RequestBody for Bytes {
    fn from_bytes(bytes: Bytes) -> Self {
        bytes
    }
}

impl RequestBody for Body {
    fn from_bytes(bytes: Bytes) -> Self {
        Body::new(bytes)
    }
}

mod sealed {
    /// Only this crate's body types are request bodies.
    pub trait Sealed {}
    impl Sealed for bytes::Bytes {}
    impl Sealed for super::Body {}
}
