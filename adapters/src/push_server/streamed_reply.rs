//! [`StreamedBody`]: a streamed response written as a chunked HTTP reply,
//! each chunk as the function yields it, and the invocation's end: when
//! the stream ends, fails, or the client goes away, its deferred
//! `AfterInvoke` runs ([`ResponseStream::finish`]) and then its
//! `AfterResponse`, with the outcome the stream ended with.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use futures_core::Stream;
use hyper::body::Frame;
use runtime_engine::{BoxError, Context, InvocationError, Lifecycle, Outcome, ResponseStream};

use super::in_flight::{run_after_response, InFlightGuard};

/// A streamed reply body; see the module docs.
#[derive(Debug)]
pub(crate) struct StreamedBody {
    /// `None` once the stream has ended.
    stream: Option<ResponseStream>,
    /// `AfterResponse` for the invocation, once the route has handed it over.
    after: Option<AfterStream>,
    /// How the stream ended, if it ended before the route handed over
    /// `after`. hyper polls the body only after the route returns, so this
    /// stays `None` in practice; it is kept so that no order of events
    /// loses the outcome.
    ended: Option<Outcome>,
}

/// What `AfterResponse` needs, and the work it keeps counted.
#[derive(Debug)]
struct AfterStream {
    lifecycle: Arc<Lifecycle>,
    context: Context,
    work: InFlightGuard,
}

impl StreamedBody {
    pub(crate) fn new(stream: ResponseStream) -> Self {
        StreamedBody {
            stream: Some(stream),
            after: None,
            ended: None,
        }
    }

    /// Runs `AfterResponse` when the stream ends, keeping `work` counted
    /// until it is done.
    pub(crate) fn then_after_response(
        &mut self,
        lifecycle: &Arc<Lifecycle>,
        context: Context,
        work: InFlightGuard,
    ) {
        let after = AfterStream {
            lifecycle: lifecycle.clone(),
            context,
            work,
        };
        match self.ended.take() {
            Some(outcome) => after.run(outcome),
            None => self.after = Some(after),
        }
    }

    /// Ends the stream with `end` (finish or cut short) and hands its
    /// outcome to `AfterResponse`.
    fn end(&mut self, end: impl FnOnce(ResponseStream) -> Outcome) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        let outcome = end(stream);
        match self.after.take() {
            Some(after) => after.run(outcome),
            None => self.ended = Some(outcome),
        }
    }

    pub(crate) fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let Some(stream) = this.stream.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(stream).poll_next(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
            Poll::Ready(Some(Err(error))) => {
                this.end(ResponseStream::finish);
                Poll::Ready(Some(Err(Box::new(error))))
            }
            Poll::Ready(None) => {
                this.end(ResponseStream::finish);
                Poll::Ready(None)
            }
        }
    }
}

impl AfterStream {
    fn run(self, outcome: Outcome) {
        run_after_response(&self.lifecycle, self.context, outcome, self.work);
    }
}

impl Drop for StreamedBody {
    /// hyper drops a body it stops writing: the client went away.
    fn drop(&mut self) {
        self.end(|stream| {
            let sent = stream.sent();
            stream.cut_short(InvocationError::runtime(
                "Runtime.ClientGone",
                format!(
                    "the client closed the connection after {sent} bytes of the streamed response"
                ),
            ))
        });
    }
}
