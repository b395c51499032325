//! The plugin side's state and conversions: the instance a `create` makes,
//! engine values rebuilt from C views, outcomes handed back, panics caught,
//! and hook futures run to completion without a runtime.

use std::ffi::c_void;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context as TaskContext, Poll, Wake, Waker};

use bytes::Bytes;

use super::abi::{self, ByteSlice, ContextView, FunctionView, OutcomeView, Output};
use super::raw;
use super::views;
use crate::context::Context;
use crate::deadline::Deadline;
use crate::error::{BoxError, InvocationError};
use crate::function::FunctionInfo;
use crate::hook::{Hook, HookFuture};
use crate::invocation::{Outcome, Response};
use crate::panic;
use crate::trace::TraceContext;

/// One plugin instance: the hook, the function's facts once seen, and what
/// the phases of the latest invocation share.
pub(crate) struct Instance {
    pub(crate) hook: Box<dyn Hook>,
    function: OnceLock<Arc<FunctionInfo>>,
    latest: Mutex<Latest>,
}

/// What the phases of one invocation share, so each is built once per
/// invocation rather than once per phase: the context, rebuilt from the
/// first view that names the invocation and reused while views name the same
/// request id and sequence; and the outcome `AfterInvoke` left, which
/// `AfterResponse` takes instead of copying the body again when the host's
/// view still shows the same bytes. Concurrent invocations only cost
/// rebuilds: every reuse is checked against the view at hand.
#[derive(Default)]
struct Latest {
    context: Option<Context>,
    outcome: Option<Outcome>,
}

impl Instance {
    /// A fresh instance around `hook`.
    pub(crate) fn new(hook: Box<dyn Hook>) -> Self {
        Instance {
            hook,
            function: OnceLock::new(),
            latest: Mutex::default(),
        }
    }

    fn latest(&self) -> std::sync::MutexGuard<'_, Latest> {
        self.latest.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn function(&self, view: &FunctionView) -> &Arc<FunctionInfo> {
        self.function.get_or_init(|| {
            // SAFETY: the view's slices are valid for the call (the ABI).
            let text = |slice| unsafe { raw::text(slice) }.into_owned();
            let optional = |slice: ByteSlice| Some(text(slice)).filter(|s| !s.is_empty());
            let info = FunctionInfo::new(views::platform_from_code(view.platform), text(view.name))
                .with_version(text(view.version))
                .with_memory_mb(Some(view.memory_mb).filter(|&mb| mb > 0))
                .with_region(optional(view.region))
                .with_account_id(optional(view.account_id))
                .with_max_concurrency(view.max_concurrency as usize);
            Arc::new(info)
        })
    }

    /// The context `view` shows: the latest one if it is the same
    /// invocation, else a new one, which becomes the latest.
    pub(crate) fn context(&self, view: &ContextView) -> Context {
        // SAFETY: valid for the call (the ABI).
        let request_id = unsafe { raw::bytes(view.request_id) };
        if let Some(context) = self.latest().context.as_ref() {
            if context.sequence() == view.sequence && context.request_id().as_bytes() == request_id
            {
                return context.clone();
            }
        }
        let context = self.build_context(view);
        let stale = {
            let mut latest = self.latest();
            (
                latest.context.replace(context.clone()),
                latest.outcome.take(),
            )
        };
        // The previous invocation's values are freed outside the lock.
        drop(stale);
        context
    }

    fn build_context(&self, view: &ContextView) -> Context {
        // SAFETY: the view's slices are valid for the call (the ABI).
        let text = |slice| unsafe { raw::text(slice) };
        // SAFETY: `function` points at a view valid for the call (the ABI).
        let function = self.function(unsafe { &*view.function }).clone();
        let mut builder = Context::builder(function, text(view.request_id).into_owned())
            .sequence(view.sequence)
            .trigger(views::trigger_from_code(view.trigger));
        if view.deadline_epoch_ms != 0 {
            builder = builder.deadline(Deadline::from_epoch_ms(view.deadline_epoch_ms));
        }
        if view.invoked_function_arn.len != 0 {
            builder = builder.invoked_function_arn(text(view.invoked_function_arn));
        }
        if view.trace_header.len != 0 || view.has_trace != 0 {
            let trace = (view.has_trace != 0).then_some(TraceContext {
                trace_id: view.trace_id,
                parent_id: view.parent_id,
                sampled: view.trace_flags & abi::TRACE_SAMPLED != 0,
            });
            builder = builder.trace(text(view.trace_header), trace);
        }
        if view.tenant_id.len != 0 {
            builder = builder.tenant_id(text(view.tenant_id));
        }
        builder.build()
    }

    /// Keeps `outcome`, which the host's view of `context`'s invocation
    /// showed, for that invocation's `AfterResponse`.
    pub(crate) fn keep_outcome(&self, context: &Context, outcome: Outcome) {
        let mut latest = self.latest();
        let same = latest.context.as_ref().is_some_and(|latest| {
            latest.sequence() == context.sequence() && latest.request_id() == context.request_id()
        });
        let stale = if same {
            latest.outcome.replace(outcome)
        } else {
            Some(outcome)
        };
        drop(latest);
        drop(stale);
    }

    /// The outcome `view` shows: the one kept by [`Instance::keep_outcome`]
    /// if it still equals the view, else a copy of the view.
    pub(crate) fn outcome(&self, view: &OutcomeView) -> Outcome {
        let kept = self.latest().outcome.take();
        match kept {
            Some(outcome) if shows(view, &outcome) => outcome,
            _ => outcome_from_view(view),
        }
    }
}

/// Runs `call`, turning an error or a panic into `fail` and [`abi::STATUS_FAILED`].
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

/// # Safety
/// `instance` must come from [`create`] and not yet be destroyed.
pub(crate) unsafe fn instance<'a>(instance: *mut c_void) -> &'a Instance {
    // SAFETY: forwarded from this function's contract.
    unsafe { &*instance.cast::<Instance>() }
}

/// Runs a hook future to completion on this thread.
pub(crate) fn block_on(mut future: HookFuture<'_>) -> Result<(), BoxError> {
    if let Some(ready) = future.take_ready() {
        return ready;
    }
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(result) => return result,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// A copy of the outcome `view` shows.
pub(crate) fn outcome_from_view(view: &OutcomeView) -> Outcome {
    if view.is_error == 0 {
        // SAFETY: the view's slices are valid for the call (the ABI).
        let (body, content_type) = unsafe { (raw::bytes(view.body), raw::text(view.content_type)) };
        let content_type = views::intern_content_type(&content_type);
        Outcome::Response(Response::with_content_type(
            Bytes::copy_from_slice(body),
            content_type,
        ))
    } else {
        // SAFETY: the view's slices are valid for the call (the ABI).
        let (error_type, message) =
            unsafe { (raw::text(view.error_type), raw::text(view.error_message)) };
        let kind = views::error_kind_from_code(view.error_kind);
        Outcome::Error(InvocationError::new(
            kind,
            error_type.into_owned(),
            message.into_owned(),
        ))
    }
}

/// Whether `outcome` is what [`outcome_from_view`] makes of `view`: the same
/// bytes, compared without copying.
pub(crate) fn shows(view: &OutcomeView, outcome: &Outcome) -> bool {
    // SAFETY: the view's slices are valid for the call (the ABI).
    let bytes = |slice| unsafe { raw::bytes(slice) };
    match outcome {
        Outcome::Response(response) => {
            view.is_error == 0
                && response.status().is_none()
                && response.body().as_ref() == bytes(view.body)
                && match bytes(view.content_type) {
                    b"" => "application/json",
                    other => std::str::from_utf8(other).unwrap_or(""),
                } == response.content_type()
        }
        Outcome::Error(error) => {
            view.is_error != 0
                && views::error_kind_from_code(view.error_kind) == error.kind()
                && error.error_type().as_bytes() == bytes(view.error_type)
                && error.message().as_bytes() == bytes(view.error_message)
        }
    }
}

/// Hands `outcome` to the host, unless it is still what `view` shows.
pub(crate) fn send_changed_outcome(output: *mut Output, view: &OutcomeView, outcome: &Outcome) {
    if !shows(view, outcome) {
        send_outcome(output, outcome);
    }
}

/// Hands `outcome` to the host.
pub(crate) fn send_outcome(output: *mut Output, outcome: &Outcome) {
    // SAFETY: the host passes an output valid for the call (the ABI).
    let output = unsafe { &*output };
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
