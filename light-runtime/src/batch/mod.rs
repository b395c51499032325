//! Batch functions: one async function per record of a queue or stream
//! batch, run concurrently within a bound, in order where order matters,
//! with the batch answered each platform's way.
//!
//! ```no_run
//! use light_runtime::batch;
//! use light_runtime::events::messages::Message;
//! use light_runtime::{Context, Error};
//!
//! async fn record(message: Message, _ctx: Context) -> Result<(), Error> {
//!     let order: serde_json::Value = message.json()?;
//!     if order["qty"].as_u64() == Some(0) {
//!         return Err(Error::msg("an order for nothing"));
//!     }
//!     Ok(())
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), light_runtime::RuntimeError> {
//!     light_runtime::run(batch::each(record).concurrency(8)).await
//! }
//! ```
//!
//! - **Order.** Records with the same
//!   [ordering key](light_runtime_events::messages::Message::ordering_key)
//!   (an SQS FIFO message group, a Kinesis shard, a DynamoDB stream, a
//!   Kafka partition) run one after another, in the batch's order; once
//!   one fails, the rest of its key are not run and count as failed, so the
//!   platform redelivers them in order. Records without a key, and
//!   different keys, run concurrently, at most
//!   [`concurrency`](Batch::concurrency) at a time (default
//!   [`DEFAULT_CONCURRENCY`]), all on the invocation's task.
//! - **Failures.** A record fails when its function returns an error or
//!   panics; a panic fails that record only.
//! - **The deadline.** When the invocation is cancelled (the safety margin
//!   before its deadline), the records not finished count as failed and
//!   the batch is answered at once: on SQS, Kinesis and DynamoDB Streams
//!   the finished records are not redelivered.
//! - **The answer.** SQS, Kinesis and DynamoDB Streams get
//!   `{"batchItemFailures":[{"itemIdentifier": id}, ..]}` (turn on
//!   `ReportBatchItemFailures` on the event source mapping). FC's and SCF's
//!   triggers have no partial-failure answer: if any record failed, the
//!   invocation fails with `Function.BatchFailure`, naming the failed ids
//!   and why (the first 20), and the platform retries the whole batch. See `docs/events.md`.
//! - **Not a batch.** An event that is not a queue or stream batch is a
//!   `Runtime.MalformedEvent` naming the trigger it came from.

mod run;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use light_runtime_events::batch::BatchFailure;
use light_runtime_events::messages::{Message, Messages};
use runtime_engine::{BoxError, Context, Invocation, InvocationError, Response};
use tower::Service;

/// Records in flight at once when [`Batch::concurrency`] is not set.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Makes a batch handler from `function`, called once per record.
pub fn each<F, Fut, Err>(function: F) -> Batch<F>
where
    F: Fn(Message, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), Err>> + Send + 'static,
    Err: Into<BoxError> + Send + 'static,
{
    Batch {
        function: Arc::new(function),
        concurrency: DEFAULT_CONCURRENCY,
    }
}

/// A batch handler (see [`each`]); a [`Handler`](crate::Handler) as it is.
pub struct Batch<F> {
    function: Arc<F>,
    concurrency: usize,
}

impl<F> Batch<F> {
    /// Runs at most `records` records at once (at least 1).
    pub fn concurrency(mut self, records: usize) -> Self {
        self.concurrency = records.max(1);
        self
    }
}

impl<F> Clone for Batch<F> {
    fn clone(&self) -> Self {
        Batch {
            function: self.function.clone(),
            concurrency: self.concurrency,
        }
    }
}

impl<F> std::fmt::Debug for Batch<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl<F, Fut, Err> Service<Invocation> for Batch<F>
where
    F: Fn(Message, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), Err>> + Send + 'static,
    Err: Into<BoxError> + Send + 'static,
{
    type Response = Response;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), InvocationError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let (trigger, messages) = match Messages::records_from_slice(&invocation.payload) {
            Ok(read) => read,
            Err(error) => {
                return Box::pin(std::future::ready(Err(InvocationError::malformed_event(
                    error.to_string(),
                ))))
            }
        };
        let function = self.function.clone();
        let concurrency = self.concurrency;
        Box::pin(async move {
            let outcome = run::all(function, messages, invocation.context, concurrency).await;
            for failure in outcome.failures() {
                tracing::warn!(record = %failure.id, reason = %failure.reason, "a batch record failed");
            }
            match outcome.answer(&trigger) {
                Ok(response) => match serde_json::to_vec(&response) {
                    Ok(json) => Ok(Response::json(Bytes::from(json))),
                    Err(error) => Err(InvocationError::runtime(
                        "Runtime.SerializationError",
                        format!("the batch answer could not be encoded as JSON: {error}"),
                    )),
                },
                Err(failure) => Err(InvocationError::handler(
                    BatchFailure::ERROR_TYPE,
                    failure.to_string(),
                )),
            }
        })
    }
}

// `docs/events.md`'s examples compile as doctests, so the guide cannot
// drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/events.md")]
struct EventsGuide;
