//! [`InFlight`]: work that has arrived and not yet finished, from the
//! request to the end of its `AfterResponse` hooks.
//!
//! Freeze (FC `/pre-freeze`) and Close (FC `/pre-stop`, SIGTERM) wait for it
//! to drain, so hooks never run while the platform considers the instance
//! idle, and nothing is cut short at shutdown.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime_engine::{Context, Lifecycle, Outcome};
use tokio::sync::Notify;

use super::reply::Reply;

/// A count of work in flight that can be waited on until it is zero.
#[derive(Clone, Debug, Default)]
pub(crate) struct InFlight {
    count: Arc<Count>,
}

/// The count itself, one for all of [`InFlight`]'s clones and their guards.
#[derive(Debug, Default)]
struct Count {
    in_flight: AtomicUsize,
    /// `wait_idle` calls in progress: the last guard to drop wakes them
    /// only if there are any, since `Notify::notify_waiters` takes a lock
    /// and work drops to zero after nearly every request.
    waiting: AtomicUsize,
    idle: Notify,
}

/// One unit of work in flight; dropping it ends the work.
#[derive(Debug)]
pub(crate) struct InFlightGuard {
    count: Arc<Count>,
}

impl InFlight {
    /// Counts one more unit of work until the returned guard drops.
    pub(crate) fn start(&self) -> InFlightGuard {
        self.count.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlightGuard {
            count: self.count.clone(),
        }
    }

    /// Runs `AfterResponse` for an answered invocation beside the write of
    /// its `reply` (never before it), keeping `work` counted until done.
    /// A streamed reply runs it when its stream ends, with the outcome the
    /// stream ended with rather than `outcome`.
    pub(crate) fn after_response(
        &self,
        lifecycle: &Arc<Lifecycle>,
        context: Context,
        outcome: Outcome,
        work: InFlightGuard,
        reply: &mut Reply,
    ) {
        match reply.body_mut().as_streamed() {
            Some(streamed) => streamed.then_after_response(lifecycle, context, work),
            None => run_after_response(lifecycle, context, outcome, work),
        }
    }

    /// Waits until no work is in flight, at most `budget`; `false` if some
    /// was still running then.
    pub(crate) async fn wait_idle(&self, budget: Duration) -> bool {
        // SeqCst with the check in `InFlightGuard::drop`: either that drop sees this
        // waiter and notifies, or the count read below already sees zero.
        self.count.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.count);
        let idle = async {
            loop {
                let notified = self.count.idle.notified();
                tokio::pin!(notified);
                // Registered before looking, so a drop in between still wakes us.
                notified.as_mut().enable();
                if self.count.in_flight.load(Ordering::SeqCst) == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(budget, idle).await.is_ok()
    }
}

/// Runs `AfterResponse` on its own task, keeping `work` counted until it
/// is done; drops `work` at once when there is nothing to run.
pub(crate) fn run_after_response(
    lifecycle: &Arc<Lifecycle>,
    context: Context,
    outcome: Outcome,
    work: InFlightGuard,
) {
    if !lifecycle.has_hooks_for(runtime_engine::Phase::AfterResponse) {
        return drop(work);
    }
    // A streamed reply may end when its body is dropped, which can happen
    // as the runtime itself shuts down: then nothing can run any more.
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return drop(work);
    };
    let lifecycle = lifecycle.clone();
    runtime.spawn(async move {
        lifecycle.after_response(&context, &outcome).await;
        drop(work);
    });
}

/// Counts a `wait_idle` in progress until dropped (also when cut short).
struct Waiting<'a>(&'a Count);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.count.in_flight.fetch_sub(1, Ordering::SeqCst) == 1
            && self.count.waiting.load(Ordering::SeqCst) > 0
        {
            self.count.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_until_the_last_work_ends() {
        let in_flight = InFlight::default();
        assert!(in_flight.wait_idle(Duration::from_millis(1)).await);
        let first = in_flight.start();
        let second = in_flight.start();
        assert!(!in_flight.wait_idle(Duration::from_millis(1)).await);
        drop(first);
        let waiter = tokio::spawn({
            let in_flight = in_flight.clone();
            async move { in_flight.wait_idle(Duration::from_secs(10)).await }
        });
        tokio::task::yield_now().await;
        drop(second);
        assert!(waiter.await.unwrap());
    }
}
