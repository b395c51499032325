//! [`HookFuture`]: what the asynchronous phase methods of a hook return.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::error::BoxError;

/// The future returned by the asynchronous phase methods of [`Hook`](crate::Hook).
///
/// Use [`HookFuture::done`] (the default) when there is nothing to do and
/// [`HookFuture::new`] to run async work; the engine only arms a budget timer
/// for futures that are not already complete.
#[must_use = "a HookFuture does nothing unless awaited"]
pub struct HookFuture<'a> {
    state: HookFutureState<'a>,
}

enum HookFutureState<'a> {
    Ready(Option<Result<(), BoxError>>),
    Boxed(Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>>),
}

impl<'a> HookFuture<'a> {
    /// A hook phase that has already finished successfully.
    pub const fn done() -> Self {
        HookFuture {
            state: HookFutureState::Ready(Some(Ok(()))),
        }
    }

    /// A hook phase that has already finished with `result`.
    pub fn ready(result: Result<(), BoxError>) -> Self {
        HookFuture {
            state: HookFutureState::Ready(Some(result)),
        }
    }

    /// A hook phase that runs `future`.
    pub fn new<F>(future: F) -> Self
    where
        F: Future<Output = Result<(), BoxError>> + Send + 'a,
    {
        HookFuture {
            state: HookFutureState::Boxed(Box::pin(future)),
        }
    }

    /// The result if the phase finished without awaiting anything, else
    /// the future to await. By value, so the ready case leaves nothing to
    /// drop.
    #[inline]
    pub(crate) fn into_ready(self) -> Result<Result<(), BoxError>, Self> {
        match self.state {
            HookFutureState::Ready(Some(result)) => Ok(result),
            state => Err(HookFuture { state }),
        }
    }
}

impl Future for HookFuture<'_> {
    type Output = Result<(), BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            HookFutureState::Ready(result) => {
                Poll::Ready(result.take().expect("HookFuture polled after completion"))
            }
            HookFutureState::Boxed(future) => future.as_mut().poll(cx),
        }
    }
}

impl std::fmt::Debug for HookFuture<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.state {
            HookFutureState::Ready(_) => f.write_str("HookFuture::Ready"),
            HookFutureState::Boxed(_) => f.write_str("HookFuture::Pending"),
        }
    }
}
