//! The library boundary, crossed from the plugin's side: errors and panics
//! turned into the ABI's failure, hook futures run to completion without a
//! runtime, and outcomes handed back to the host.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Wake, Waker};

use runtime_engine::panic;
use runtime_engine::plugin::abi::{self, ByteSlice, OutcomeView, Output};
use runtime_engine::{BoxError, HookFuture, Outcome};

use crate::from_views::shows;

/// Runs `call`, turning an error or a panic into `fail` and [`abi::STATUS_FAILED`]:
/// an unwind must never cross `extern "C"`.
pub(crate) fn guarded(output: *mut Output, call: impl FnOnce() -> Result<i32, BoxError>) -> i32 {
    let message = match panic::catch(AssertUnwindSafe(call)) {
        Ok(Ok(status)) => return status,
        Ok(Err(error)) => error.to_string(),
        Err(payload) => format!("panicked: {}", panic::describe(&*payload)),
    };
    // SAFETY: the host passes an output valid for the call (the ABI).
    let output = unsafe { &*output };
    // SAFETY: the host's own callback with its own `host` pointer.
    unsafe { (output.fail)(output.host, ByteSlice::from_str(&message)) };
    abi::STATUS_FAILED
}

/// Runs a hook future to completion on this thread: a plugin's own copy of
/// tokio has no runtime to hand it to.
pub(crate) fn block_on(future: HookFuture<'_>) -> Result<(), BoxError> {
    let mut future = pin!(future);
    // Most hook futures are ready at once; the first poll needs no waker
    // that can wake anything, so none is made for them.
    if let Poll::Ready(result) = future
        .as_mut()
        .poll(&mut TaskContext::from_waker(Waker::noop()))
    {
        return result;
    }
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(result) => return result,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// Hands `outcome` to the host, unless it is still what `view` shows.
pub(crate) fn send_changed_outcome(output: &Output, view: &OutcomeView, outcome: &Outcome) {
    if !shows(view, outcome) {
        send_outcome(output, outcome);
    }
}

/// Hands `outcome` to the host.
pub(crate) fn send_outcome(output: &Output, outcome: &Outcome) {
    let (first, second, set) = match outcome {
        Outcome::Response(response) => (
            ByteSlice::new(response.body()),
            ByteSlice::from_str(response.content_type()),
            output.set_response,
        ),
        Outcome::Error(error) => (
            ByteSlice::from_str(error.error_type()),
            ByteSlice::from_str(error.message()),
            output.set_error,
        ),
    };
    // SAFETY: the host's own callback, with slices borrowed for the call.
    unsafe { set(output.host, first, second) };
}
