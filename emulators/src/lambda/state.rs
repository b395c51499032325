//! The emulator's shared state: one mutex over everything it remembers, and
//! the signals that wake whoever waits on it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::pin::pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::event::Event;
use super::record::{InvocationResult, RecordedCall};
use super::streamed::StreamedResponse;

/// Everything the server tasks and the [`LambdaEmulator`](super::LambdaEmulator)
/// handle share.
#[derive(Debug)]
pub(crate) struct EmulatorState {
    state: Mutex<State>,
    /// One permit per queued event: wakes one waiting runtime `next`.
    pub(crate) event_queued: Notify,
    /// Wakes every test-side waiter (`result`, `wait_*`) after any change.
    pub(crate) changed: Notify,
    /// `Some(SHUTDOWN event)` once `shutdown` was called.
    pub(crate) shutdown: watch::Sender<Option<serde_json::Value>>,
    /// `true` once `stop` was called.
    pub(crate) stopped: watch::Sender<bool>,
    /// Sent as `Lambda-Runtime-Invoked-Function-Arn`.
    pub(crate) function_arn: String,
    /// The path every call must start with (`""`, or cargo-lambda's `/.rt`).
    pub(crate) base_path: String,
    /// The ARN's function name, answered to extensions on register.
    pub(crate) function_name: String,
    /// Default time from hand-out to deadline.
    pub(crate) timeout: Duration,
    /// Whether `/runtime/restore/next` and `/runtime/restore/error` are
    /// served (SnapStart); without it they are `404`, as in RIE without
    /// init caching.
    pub(crate) snap_start: bool,
}

/// An extension that registered.
#[derive(Debug, Clone)]
pub(crate) struct Extension {
    pub(crate) name: String,
    pub(crate) identifier: String,
    pub(crate) events: Vec<String>,
}

/// What the emulator remembers; always behind [`EmulatorState`]'s mutex.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Events pushed but not yet handed out, with their request ids.
    pub(crate) queue: VecDeque<(String, Event)>,
    /// Request ids handed out and not yet answered.
    pub(crate) in_flight: HashSet<String>,
    /// The accepted answer of each answered invocation.
    pub(crate) results: HashMap<String, InvocationResult>,
    /// `/response` and `/error` posts per request id, rejected ones included.
    pub(crate) answers: HashMap<String, usize>,
    /// The most events ever in flight at once.
    pub(crate) max_in_flight: usize,
    /// Runtime `next` calls blocked right now, waiting for an event.
    pub(crate) next_waiting: usize,
    /// Whether the runtime has called `next`: init is over from then on.
    pub(crate) runtime_next_seen: bool,
    /// The first accepted `/runtime/init/error`.
    pub(crate) init_error: Option<RecordedCall>,
    /// Streamed `/response` bodies, as far as they arrived, by request id.
    pub(crate) streams: HashMap<String, StreamedResponse>,
    /// Every answered HTTP call, in the order answered.
    pub(crate) calls: Vec<RecordedCall>,
    /// Registered extensions, in registration order.
    pub(crate) extensions: Vec<Extension>,
    /// How many more runtime `next` calls fail, and with what status.
    pub(crate) fail_next: usize,
    pub(crate) fail_status: u16,
    /// Whether registration is refused regardless of phase.
    pub(crate) refuse_extensions: bool,
    /// Restores so far: each answered `/runtime/restore/next` is one. A
    /// connection remembers the count it was accepted under; one from
    /// before the latest restore is dead (see `server.rs`).
    pub(crate) restores: u64,
    /// The first accepted `/runtime/restore/error`.
    pub(crate) restore_error: Option<RecordedCall>,
    /// Calls that arrived, after a restore, on a connection opened before
    /// it: never answered, their connection closed.
    pub(crate) stale_connection_calls: Vec<RecordedCall>,
}

impl EmulatorState {
    pub(crate) fn new(
        function_arn: String,
        base_path: String,
        timeout: Duration,
        snap_start: bool,
    ) -> Self {
        let function_name = function_name_of(&function_arn).to_owned();
        EmulatorState {
            state: Mutex::new(State::default()),
            event_queued: Notify::new(),
            changed: Notify::new(),
            shutdown: watch::Sender::new(None),
            stopped: watch::Sender::new(false),
            function_arn,
            base_path,
            function_name,
            timeout,
            snap_start,
        }
    }

    /// The state; a panic elsewhere while it was held does not poison it for
    /// the rest of the test.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits up to `timeout` until `check` finds what it looks for.
    pub(crate) async fn wait_for<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&State) -> Option<T>,
    ) -> Option<T> {
        let wait = async {
            loop {
                let mut notified = pin!(self.changed.notified());
                // Registered before looking, so a change in between still wakes us.
                notified.as_mut().enable();
                let found = check(&self.lock());
                if let Some(found) = found {
                    return found;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.ok()
    }

    /// The account id in the function ARN (its fifth field), if any.
    pub(crate) fn account_id(&self) -> &str {
        self.function_arn.split(':').nth(4).unwrap_or_default()
    }

    /// Records `call` and wakes test-side waiters.
    pub(crate) fn record(&self, state: &mut State, call: RecordedCall) {
        state.calls.push(call);
        self.changed.notify_waiters();
    }
}

/// `test-function` in `arn:aws:lambda:us-east-1:123456789012:function:test-function[:qualifier]`;
/// the whole string when it is not a function ARN.
fn function_name_of(arn: &str) -> &str {
    match arn.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
        None => arn,
    }
}

#[cfg(test)]
mod tests {
    use super::function_name_of;

    #[test]
    fn function_names_come_from_arns() {
        assert_eq!(
            function_name_of("arn:aws:lambda:us-east-1:123456789012:function:f"),
            "f"
        );
        assert_eq!(
            function_name_of("arn:aws:lambda:us-east-1:123456789012:function:f:prod"),
            "f"
        );
        assert_eq!(function_name_of("plain"), "plain");
    }
}
