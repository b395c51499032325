//! Running a batch's records: grouped by ordering key, each group in order,
//! groups concurrently within the bound, panics caught per record.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures_util::stream::{self, StreamExt};
use light_runtime_events::batch::BatchOutcome;
use light_runtime_events::messages::Message;
use runtime_engine::{panic, BoxError, Context};

use crate::error::Error;

/// Runs `function` over `messages` and says which failed.
pub(super) async fn all<F, Fut, Err>(
    function: Arc<F>,
    messages: Vec<Message>,
    context: Context,
    concurrency: usize,
) -> BatchOutcome
where
    F: Fn(Message, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), Err>> + Send + 'static,
    Err: Into<BoxError> + Send + 'static,
{
    let total = messages.len();
    let runs = stream::iter(groups(messages))
        .map(|group| run_group(&*function, group, &context))
        .buffer_unordered(concurrency);
    let mut failed: Vec<(usize, String, String)> = runs.flat_map(stream::iter).collect().await;
    // Completion order is arbitrary; the answer lists records in batch order.
    failed.sort_unstable_by_key(|(index, _, _)| *index);
    let mut outcome = BatchOutcome::new(total);
    for (_, id, reason) in failed {
        outcome.fail(id, reason);
    }
    outcome
}

/// Records that must run in order (one ordering key), or one record
/// that depends on no other; each with its index in the batch.
enum Group {
    Alone(usize, Message),
    InOrder(Vec<(usize, Message)>),
}

fn groups(messages: Vec<Message>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::with_capacity(messages.len());
    // Keys are few (message groups, shards, partitions): a scan of the
    // keyed groups is cheaper than hashing for the batch sizes platforms send.
    let mut keyed: Vec<usize> = Vec::new();
    for (index, message) in messages.into_iter().enumerate() {
        let Some(key) = message.ordering_key() else {
            groups.push(Group::Alone(index, message));
            continue;
        };
        let found = keyed.iter().copied().find(|&g| match &groups[g] {
            Group::InOrder(records) => records[0].1.ordering_key() == Some(key),
            Group::Alone(..) => false,
        });
        match found.map(|g| &mut groups[g]) {
            Some(Group::InOrder(records)) => records.push((index, message)),
            _ => {
                keyed.push(groups.len());
                groups.push(Group::InOrder(vec![(index, message)]));
            }
        }
    }
    groups
}

/// Runs one group in order; after a failure the rest are not run.
async fn run_group<F, Fut, Err>(
    function: &F,
    group: Group,
    context: &Context,
) -> Vec<(usize, String, String)>
where
    F: Fn(Message, Context) -> Fut,
    Fut: Future<Output = Result<(), Err>>,
    Err: Into<BoxError> + 'static,
{
    let mut failed = Vec::new();
    let mut records = match group {
        Group::Alone(index, message) => {
            let id = message.id().to_owned();
            if let Err(reason) = call(function, message, context).await {
                failed.push((index, id, reason));
            }
            return failed;
        }
        Group::InOrder(records) => records.into_iter(),
    };
    while let Some((index, message)) = records.next() {
        let id = message.id().to_owned();
        let reason = match call(function, message, context).await {
            Ok(()) => continue,
            Err(reason) => reason,
        };
        failed.push((index, id.clone(), reason));
        for (later, message) in records.by_ref() {
            failed.push((
                later,
                message.id().to_owned(),
                format!("not run: record `{id}` before it, with the same ordering key, failed"),
            ));
        }
    }
    failed
}

/// One record: its function's error or panic as a reason.
async fn call<F, Fut, Err>(function: &F, message: Message, context: &Context) -> Result<(), String>
where
    F: Fn(Message, Context) -> Fut,
    Fut: Future<Output = Result<(), Err>>,
    Err: Into<BoxError> + 'static,
{
    let started = panic::catch(AssertUnwindSafe(|| function(message, context.clone())));
    let result = match started {
        Ok(future) => CatchPanic { future }.await,
        Err(payload) => Err(payload),
    };
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => {
            let error = Error::from_handler(error).into_invocation_error();
            Err(format!("{}: {}", error.error_type(), error.message()))
        }
        Err(payload) => Err(format!("Function.Panic: {}", panic::describe(&*payload))),
    }
}

pin_project_lite::pin_project! {
    /// A record's future whose polls are caught, so a panic fails the
    /// record and not the batch.
    struct CatchPanic<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let future = self.project().future;
        match panic::catch(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, key: Option<&str>) -> Message {
        Message::new(id, "", key.map(str::to_owned))
    }

    #[test]
    fn groups_keep_keyed_records_together_in_order() {
        let messages = vec![
            message("a1", Some("a")),
            message("x", None),
            message("b1", Some("b")),
            message("a2", Some("a")),
            message("y", None),
            message("b2", Some("b")),
        ];
        let groups = groups(messages);
        let ids: Vec<Vec<(usize, &str)>> = groups
            .iter()
            .map(|g| match g {
                Group::Alone(i, m) => vec![(*i, m.id())],
                Group::InOrder(records) => records.iter().map(|(i, m)| (*i, m.id())).collect(),
            })
            .collect();
        assert_eq!(
            ids,
            [
                vec![(0, "a1"), (3, "a2")],
                vec![(1, "x")],
                vec![(2, "b1"), (5, "b2")],
                vec![(4, "y")]
            ]
        );
    }
}
