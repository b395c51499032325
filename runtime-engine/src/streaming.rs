//! Streamed responses: the take-once body a [`Response::stream`] carries,
//! and [`ResponseStream`], what an adapter sends chunk by chunk.
//!
//! A streamed [`Response`] stays `Clone` and comparable so that hooks and
//! layers see it like any other: its clones share one slot holding the
//! body, and the adapter that sends the response takes the body out of it
//! exactly once ([`Response::take_stream`]). The `AfterInvoke` hooks of a
//! streamed response run when the stream ends, not when the handler
//! returns; [`ResponseStream::finish`] runs them and hands back the outcome
//! they saw, an error if the stream failed midway. See
//! `docs/design/streaming.md`.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use futures_core::Stream;
use tokio::time::{Instant, Sleep};

use crate::context::Context;
use crate::error::{BoxError, InvocationError};
use crate::invocation::{Outcome, Response};
use crate::panic;

/// A response body as a stream of chunks, boxed once.
pub(crate) type BoxBodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// Work deferred to the end of a stream: a `HookService`'s `AfterInvoke`.
pub(crate) type AtEnd = Box<dyn FnOnce(&mut Outcome) + Send>;

/// The body slot a streamed [`Response`] and its clones share.
#[derive(Clone)]
pub(crate) struct StreamSlot {
    shared: Arc<SlotState>,
}

/// What a slot's clones share: the body until it is taken, and how much
/// of it went out.
struct SlotState {
    pending: Mutex<Option<Pending>>,
    /// Bytes handed to the adapter so far.
    sent: AtomicU64,
}

/// A body not yet taken, with what must happen when it ends.
struct Pending {
    body: BoxBodyStream,
    finisher: Finisher,
    /// The instant the stream must have ended by, and the invocation it
    /// belongs to (cancelled then, and named in the timeout error).
    deadline: Option<(Instant, Context)>,
}

/// The deferred `AfterInvoke` work of one stream; run once, by
/// [`ResponseStream::finish`] or, if nobody finishes the stream, on drop,
/// so hooks always see how the invocation ended.
#[derive(Default)]
struct Finisher {
    at_end: Vec<AtEnd>,
}

impl Finisher {
    fn run(&mut self, outcome: &mut Outcome) {
        for at_end in std::mem::take(&mut self.at_end) {
            at_end(outcome);
        }
    }
}

impl Drop for Finisher {
    fn drop(&mut self) {
        if !self.at_end.is_empty() {
            let mut outcome = Outcome::Error(abandoned());
            self.run(&mut outcome);
        }
    }
}

fn abandoned() -> InvocationError {
    InvocationError::runtime(
        "Runtime.StreamAbandoned",
        "the response stream was dropped before it was sent to its end",
    )
}

impl StreamSlot {
    pub(crate) fn new(body: BoxBodyStream) -> Self {
        StreamSlot {
            shared: Arc::new(SlotState {
                pending: Mutex::new(Some(Pending {
                    body,
                    finisher: Finisher::default(),
                    deadline: None,
                })),
                sent: AtomicU64::new(0),
            }),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Option<Pending>> {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Defers `at_end` to the end of the stream, which must then end by
    /// `deadline` (when given, the earliest one is kept). Gives `at_end`
    /// back if the body was taken already, for the caller to run at once.
    pub(crate) fn defer(
        &self,
        at_end: AtEnd,
        deadline: Option<(Instant, Context)>,
    ) -> Result<(), AtEnd> {
        let mut pending = self.pending();
        let Some(pending) = pending.as_mut() else {
            return Err(at_end);
        };
        pending.finisher.at_end.push(at_end);
        if let Some((at, context)) = deadline {
            if pending.deadline.as_ref().is_none_or(|(kept, _)| at < *kept) {
                pending.deadline = Some((at, context));
            }
        }
        Ok(())
    }

    /// Takes the body out as the stream of `response`; `None` if it was
    /// taken already.
    pub(crate) fn take_stream(&self, response: Response) -> Option<ResponseStream> {
        let pending = self.pending().take()?;
        Some(ResponseStream::new(response, self.clone(), pending))
    }

    pub(crate) fn is_taken(&self) -> bool {
        self.pending().is_none()
    }

    pub(crate) fn sent(&self) -> u64 {
        self.shared.sent.load(Ordering::Relaxed)
    }
}

impl PartialEq for StreamSlot {
    /// Two streamed responses are equal only if they share one body.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for StreamSlot {}

impl fmt::Debug for StreamSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSlot")
            .field("taken", &self.is_taken())
            .field("sent", &self.sent())
            .finish()
    }
}

/// A streamed response's body, taken out of its [`Response`] by the
/// adapter that sends it: a [`Stream`] of non-empty chunks, then
/// [`finish`](Self::finish) for the invocation's final [`Outcome`].
///
/// The stream ends with one `Err` instead of `None` when the body failed
/// midway: the handler's stream yielded an error (an [`InvocationError`]
/// keeps its type; anything else is a `Runtime.StreamError`), panicked
/// (`Function.Panic`) or ran past the invocation's deadline less its
/// safety margin (`Function.Timeout`, with the context's cancellation
/// token fired). No chunk follows an error.
///
/// ```
/// use bytes::Bytes;
/// use runtime_engine::{BoxError, Response};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let chunks = [Ok::<_, BoxError>(Bytes::from("a")), Ok(Bytes::from("b"))];
/// let response = Response::stream("text/plain", tokio_stream_of(chunks));
/// let mut stream = response.take_stream().unwrap();
/// let mut sent = Vec::new();
/// while let Some(chunk) = stream.next_chunk().await {
///     sent.extend_from_slice(&chunk.unwrap());
/// }
/// assert_eq!(sent, b"ab");
/// assert!(!stream.finish().is_error());
/// # });
/// # fn tokio_stream_of<I: IntoIterator + Send + 'static>(items: I) -> impl futures_core::Stream<Item = I::Item> + Send
/// # where I::IntoIter: Send + Unpin { Iter(items.into_iter()) }
/// # struct Iter<I>(I);
/// # impl<I: Iterator + Unpin> futures_core::Stream for Iter<I> {
/// #     type Item = I::Item;
/// #     fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Option<I::Item>> {
/// #         std::task::Poll::Ready(self.0.next())
/// #     }
/// # }
/// ```
pub struct ResponseStream {
    body: BoxBodyStream,
    finisher: Finisher,
    /// The response without its body, for the final outcome.
    response: Response,
    deadline: Option<StreamDeadline>,
    slot: StreamSlot,
    state: StreamState,
}

struct StreamDeadline {
    timer: Pin<Box<Sleep>>,
    context: Context,
}

enum StreamState {
    Streaming,
    Ended,
    Failed(InvocationError),
}

impl ResponseStream {
    fn new(response: Response, slot: StreamSlot, pending: Pending) -> Self {
        ResponseStream {
            body: pending.body,
            finisher: pending.finisher,
            response,
            deadline: pending.deadline.map(|(at, context)| StreamDeadline {
                timer: Box::pin(tokio::time::sleep_until(at)),
                context,
            }),
            slot,
            state: StreamState::Streaming,
        }
    }

    /// The response this body belongs to: content type and, for HTTP
    /// functions, status and headers; its [`Response::body`] is empty.
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The bytes handed out so far.
    pub fn sent(&self) -> u64 {
        self.slot.sent()
    }

    /// The next chunk: `None` at the end, one `Err` if the body failed.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, InvocationError>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Ends the stream: runs the deferred `AfterInvoke` hooks and returns
    /// the outcome they leave, what `AfterResponse` then sees. It is the
    /// response (its body already sent) when the stream ended, the error
    /// when it failed, and `Runtime.StreamAbandoned` when the adapter
    /// stopped reading before either. A hook that turns the outcome into an
    /// error after the last chunk changes what `AfterResponse` sees, and on
    /// AWS the error trailers sent; the bytes already sent stay sent.
    pub fn finish(mut self) -> Outcome {
        let state = std::mem::replace(&mut self.state, StreamState::Ended);
        let mut outcome = match state {
            StreamState::Ended => Outcome::Response(self.response.clone()),
            StreamState::Failed(error) => Outcome::Error(error),
            StreamState::Streaming => Outcome::Error(abandoned()),
        };
        self.finisher.run(&mut outcome);
        outcome
    }

    /// Ends the stream with `error` because the adapter cannot send the
    /// rest (the response grew past the platform's limit, the platform
    /// connection failed): as [`finish`](Self::finish), the outcome being
    /// `error` unless the body had failed already.
    pub fn cut_short(mut self, error: InvocationError) -> Outcome {
        if !matches!(self.state, StreamState::Failed(_)) {
            self.state = StreamState::Failed(error);
        }
        self.finish()
    }

    fn fail(&mut self, error: InvocationError) -> Poll<Option<Result<Bytes, InvocationError>>> {
        self.state = StreamState::Failed(error.clone());
        Poll::Ready(Some(Err(error)))
    }
}

impl Stream for ResponseStream {
    type Item = Result<Bytes, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if !matches!(this.state, StreamState::Streaming) {
            return Poll::Ready(None);
        }
        if let Some(deadline) = &mut this.deadline {
            if deadline.timer.as_mut().poll(cx).is_ready() {
                deadline.context.cancel();
                let message = format!(
                    "function `{}` was still streaming its response at its deadline's safety \
                     margin, after {} bytes; the rest was not sent",
                    deadline.context.function_name(),
                    this.slot.sent()
                );
                return this.fail(InvocationError::timeout(message));
            }
        }
        loop {
            let body = &mut this.body;
            let polled = panic::catch(AssertUnwindSafe(|| body.as_mut().poll_next(cx)));
            match polled {
                Ok(Poll::Pending) => return Poll::Pending,
                // An empty chunk would end a chunked body early: skipped.
                Ok(Poll::Ready(Some(Ok(chunk)))) if chunk.is_empty() => continue,
                Ok(Poll::Ready(Some(Ok(chunk)))) => {
                    this.slot
                        .shared
                        .sent
                        .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Ok(Poll::Ready(Some(Err(error)))) => {
                    let error = match error.downcast::<InvocationError>() {
                        Ok(error) => *error,
                        Err(other) => InvocationError::handler(
                            "Runtime.StreamError",
                            format!(
                                "the response stream failed after {} bytes: {other}",
                                this.slot.sent()
                            ),
                        ),
                    };
                    return this.fail(error);
                }
                Ok(Poll::Ready(None)) => {
                    this.state = StreamState::Ended;
                    return Poll::Ready(None);
                }
                Err(payload) => {
                    let message = format!(
                        "the response stream panicked after {} bytes: {}",
                        this.slot.sent(),
                        panic::describe(&*payload)
                    );
                    tracing::error!("{message}");
                    return this.fail(InvocationError::panic(message));
                }
            }
        }
    }
}

impl fmt::Debug for ResponseStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            StreamState::Streaming => "streaming",
            StreamState::Ended => "ended",
            StreamState::Failed(_) => "failed",
        };
        f.debug_struct("ResponseStream")
            .field("content_type", &self.response.content_type())
            .field("sent", &self.sent())
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

/// An HTTP body's data frames as a chunk stream; trailers are not
/// forwarded (no platform passes a function's own trailers on).
pub(crate) struct DataFrames<B> {
    pub(crate) body: Pin<Box<B>>,
}

impl<B> Stream for DataFrames<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        loop {
            return match self.body.as_mut().poll_frame(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => Poll::Ready(Some(Ok(data))),
                    Err(_trailers) => continue,
                },
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that yields its items, each on its own poll.
    struct Items(std::collections::VecDeque<Result<Bytes, BoxError>>);

    impl Stream for Items {
        type Item = Result<Bytes, BoxError>;

        fn poll_next(
            mut self: Pin<&mut Self>,
            _: &mut TaskContext<'_>,
        ) -> Poll<Option<Self::Item>> {
            Poll::Ready(self.0.pop_front())
        }
    }

    fn items(items: Vec<Result<&'static str, &'static str>>) -> Items {
        Items(
            items
                .into_iter()
                .map(|item| {
                    item.map(|s| Bytes::from_static(s.as_bytes()))
                        .map_err(BoxError::from)
                })
                .collect(),
        )
    }

    #[tokio::test]
    async fn chunks_come_in_order_without_empty_ones_and_the_outcome_is_the_response() {
        let response = Response::stream("text/plain", items(vec![Ok("a"), Ok(""), Ok("bc")]));
        assert!(response.is_stream());
        let copy = response.clone();
        assert_eq!(copy, response);
        let mut stream = response.take_stream().unwrap();
        assert!(copy.take_stream().is_none(), "the body is taken once");
        let mut chunks = Vec::new();
        while let Some(chunk) = stream.next_chunk().await {
            chunks.push(chunk.unwrap());
        }
        assert_eq!(chunks, ["a", "bc"]);
        assert_eq!(stream.sent(), 3);
        let outcome = stream.finish();
        let response = outcome.response().unwrap();
        assert_eq!(response.content_type(), "text/plain");
        assert_eq!(response.streamed_bytes(), Some(3));
    }

    #[tokio::test]
    async fn a_failure_midway_is_the_last_item_and_the_outcome() {
        let response = Response::stream(
            "text/plain",
            items(vec![Ok("a"), Err("disk gone"), Ok("b")]),
        );
        let mut stream = response.take_stream().unwrap();
        assert_eq!(stream.next_chunk().await.unwrap().unwrap(), "a");
        let error = stream.next_chunk().await.unwrap().unwrap_err();
        assert_eq!(error.error_type(), "Runtime.StreamError");
        assert!(error.message().contains("disk gone"), "{error}");
        assert!(stream.next_chunk().await.is_none());
        assert_eq!(stream.finish().error(), Some(&error));
    }

    #[tokio::test]
    async fn deferred_work_runs_once_at_the_end_or_when_the_body_is_dropped() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let note = |seen: &Arc<Mutex<Vec<String>>>| -> AtEnd {
            let seen = seen.clone();
            Box::new(move |outcome: &mut Outcome| {
                let what = outcome
                    .error()
                    .map_or("ok".to_owned(), |e| e.error_type().to_owned());
                seen.lock().unwrap().push(what);
            })
        };
        let response = Response::stream("text/plain", items(vec![Ok("a")]));
        response
            .stream_slot()
            .unwrap()
            .defer(note(&seen), None)
            .ok()
            .unwrap();
        let stream = response.take_stream().unwrap();
        let outcome = stream.cut_short(InvocationError::runtime(
            "Function.ResponseSizeTooLarge",
            "big",
        ));
        assert!(outcome.is_error());

        let dropped = Response::stream("text/plain", items(vec![Ok("a")]));
        dropped
            .stream_slot()
            .unwrap()
            .defer(note(&seen), None)
            .ok()
            .unwrap();
        drop(dropped);
        assert_eq!(
            *seen.lock().unwrap(),
            ["Function.ResponseSizeTooLarge", "Runtime.StreamAbandoned"]
        );
    }

    #[tokio::test]
    async fn work_at_the_stream_end_sees_how_it_ended_or_runs_at_once() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let note = |seen: &Arc<Mutex<Vec<String>>>| {
            let seen = seen.clone();
            move |outcome: &Outcome| {
                let what = outcome
                    .error()
                    .map_or("ok".to_owned(), |e| e.error_type().to_owned());
                seen.lock().unwrap().push(what);
            }
        };
        Response::json("{}").at_stream_end(note(&seen));
        assert_eq!(*seen.lock().unwrap(), ["ok"], "not a stream: at once");

        let response = Response::stream("text/plain", items(vec![Ok("a"), Err("gone")]));
        response.at_stream_end(note(&seen));
        assert_eq!(seen.lock().unwrap().len(), 1, "not before the end");
        let mut stream = response.take_stream().unwrap();
        while stream.next_chunk().await.is_some() {}
        stream.finish();
        assert_eq!(*seen.lock().unwrap(), ["ok", "Runtime.StreamError"]);
    }

    #[tokio::test]
    async fn a_panicking_body_is_a_panic_error() {
        struct Panics;
        impl Stream for Panics {
            type Item = Result<Bytes, BoxError>;
            fn poll_next(
                self: Pin<&mut Self>,
                _: &mut TaskContext<'_>,
            ) -> Poll<Option<Self::Item>> {
                panic!("no more data")
            }
        }
        crate::panic::install_hook();
        let mut stream = Response::stream("text/plain", Panics)
            .take_stream()
            .unwrap();
        let error = stream.next_chunk().await.unwrap().unwrap_err();
        assert_eq!(error.error_type(), "Function.Panic");
        assert!(error.message().contains("no more data"), "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_past_its_deadline_times_out_and_cancels() {
        struct Never;
        impl Stream for Never {
            type Item = Result<Bytes, BoxError>;
            fn poll_next(
                self: Pin<&mut Self>,
                _: &mut TaskContext<'_>,
            ) -> Poll<Option<Self::Item>> {
                Poll::Pending
            }
        }
        let function = Arc::new(crate::FunctionInfo::new(crate::Platform::Local, "slow"));
        let context = Context::builder(function, "req-1").build();
        let response = Response::stream("text/plain", Never);
        let at = Instant::now() + std::time::Duration::from_millis(50);
        let keep = |_: &mut Outcome| {};
        response
            .stream_slot()
            .unwrap()
            .defer(Box::new(keep), Some((at, context.clone())))
            .ok()
            .unwrap();
        let mut stream = response.take_stream().unwrap();
        let error = stream.next_chunk().await.unwrap().unwrap_err();
        assert_eq!(error.error_type(), "Function.Timeout");
        assert!(context.is_cancelled());
    }
}
