//! [`Capture`]: the tower service that watches each invocation.
//!
//! On the way in it keeps the event and the context (reference counts, no
//! copy) and opens the invocation's log buffer (empty, no allocation); on
//! the way out a failure, or a sampled success, is queued for the hook,
//! which redacts and writes it after the response. A success that is not
//! sampled drops both references and is done.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use runtime_engine::{Invocation, Outcome};
use tokio::task::futures::TaskLocalFuture;
use tower_service::Service;

use super::logs::{LogBuffer, LOGS};
use super::state::{CaptureState, Watch};

/// Watches each invocation for [`CaptureLayer`](super::CaptureLayer).
#[derive(Clone, Debug)]
pub struct Capture<S> {
    inner: S,
    state: Arc<CaptureState>,
}

impl<S> Capture<S> {
    pub(super) fn new(inner: S, state: Arc<CaptureState>) -> Self {
        Capture { inner, state }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> Service<Invocation> for Capture<S>
where
    S: Service<Invocation, Response = Outcome>,
{
    type Response = Outcome;
    type Error = S::Error;
    type Future = CaptureFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let watch = self.state.config.is_ok().then(|| Watch {
            context: invocation.context.clone(),
            payload: invocation.payload.clone(),
            started: tokio::time::Instant::now(),
        });
        CaptureFuture {
            inner: LOGS.scope(
                RefCell::new(LogBuffer::default()),
                self.inner.call(invocation),
            ),
            watch,
            state: self.state.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Capture`]: the inner future with the log buffer in
    /// scope, then the decision to capture.
    pub struct CaptureFuture<F> {
        #[pin]
        inner: TaskLocalFuture<RefCell<LogBuffer>, F>,
        watch: Option<Watch>,
        state: Arc<CaptureState>,
    }
}

impl<F> std::fmt::Debug for CaptureFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CaptureFuture")
    }
}

impl<F, E> Future for CaptureFuture<F>
where
    F: Future<Output = Result<Outcome, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let result = std::task::ready!(this.inner.as_mut().poll(cx));
        if let (Some(watch), Ok(outcome)) = (this.watch.take(), &result) {
            let logs = this
                .inner
                .as_mut()
                .take_value()
                .map(RefCell::into_inner)
                .unwrap_or_default();
            match outcome {
                // A streamed response's error is known when its stream ends.
                Outcome::Response(response) if response.is_stream() => {
                    let state = this.state.clone();
                    response.at_stream_end(move |outcome| state.consider(watch, outcome, logs));
                }
                outcome => this.state.consider(watch, outcome, logs),
            }
        }
        Poll::Ready(result)
    }
}
