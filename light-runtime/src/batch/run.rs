//! Running a batch's records: grouped by ordering key, each group in order,
//! groups concurrently within the bound, panics caught per record.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};

use futures_util::stream::{self, StreamExt};
use light_runtime_events::batch::BatchOutcome;
use light_runtime_events::messages::Message;
use runtime_engine::{panic, BoxError, Context};

use crate::error::Error;

/// Runs `function` over `messages` and says which failed. When the
/// invocation is cancelled (its deadline is near), the records not
/// finished by then count as failed and the batch is answered at once, so
/// the platform keeps the work that was done.
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
    let ids: Vec<String> = messages.iter().map(|m| m.id().to_owned()).collect();
    // All records run on this one task; the mutex is never contended, it
    // only makes the shared progress `Sync` so the batch's future is `Send`.
    let progress = Mutex::new(Progress {
        finished: vec![false; ids.len()],
        failed: Vec::new(),
    });
    let runs = stream::iter(groups(messages))
        .map(|group| run_group(&*function, group, &context, &ids, &progress))
        .buffer_unordered(concurrency)
        .for_each(|()| std::future::ready(()));
    tokio::select! {
        biased;
        () = runs => {}
        () = context.cancellation().cancelled() => {}
    }
    let Progress {
        finished,
        mut failed,
    } = progress.into_inner().unwrap_or_else(|p| p.into_inner());
    for (index, done) in finished.iter().enumerate() {
        if !done {
            failed.push((
                index,
                "not finished: the invocation was cancelled before its deadline".to_owned(),
            ));
        }
    }
    // Completion order is arbitrary; the answer lists records in batch order.
    failed.sort_unstable_by_key(|(index, _)| *index);
    let mut outcome = BatchOutcome::new(ids.len());
    let mut ids = ids.into_iter().enumerate();
    for (index, reason) in failed {
        if let Some((_, id)) = ids.by_ref().find(|(i, _)| *i == index) {
            outcome.fail(id, reason);
        }
    }
    outcome
}

/// What the records have done so far: which finished, which failed and why.
struct Progress {
    finished: Vec<bool>,
    failed: Vec<(usize, String)>,
}

impl Progress {
    fn record(progress: &Mutex<Progress>, index: usize, failure: Option<String>) {
        let mut progress = progress.lock().unwrap_or_else(|p| p.into_inner());
        progress.finished[index] = true;
        if let Some(reason) = failure {
            progress.failed.push((index, reason));
        }
    }
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
    ids: &[String],
    progress: &Mutex<Progress>,
) where
    F: Fn(Message, Context) -> Fut,
    Fut: Future<Output = Result<(), Err>>,
    Err: Into<BoxError> + 'static,
{
    let mut records = match group {
        Group::Alone(index, message) => {
            let result = call(function, message, context).await;
            Progress::record(progress, index, result.err());
            return;
        }
        Group::InOrder(records) => records.into_iter(),
    };
    while let Some((index, message)) = records.next() {
        let Err(reason) = call(function, message, context).await else {
            Progress::record(progress, index, None);
            continue;
        };
        Progress::record(progress, index, Some(reason));
        for (later, _) in records.by_ref() {
            let reason = format!(
                "not run: record `{}` before it, with the same ordering key, failed",
                ids[index]
            );
            Progress::record(progress, later, Some(reason));
        }
    }
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
