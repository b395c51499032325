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

/// One plugin instance: the hook, the function's facts once seen, and the
/// context of the latest invocation (rebuilt once, shared by its phases).
pub(crate) struct Instance {
    pub(crate) hook: Box<dyn Hook>,
    function: OnceLock<Arc<FunctionInfo>>,
    latest: Mutex<Option<Context>>,
}

impl Instance {
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

    pub(crate) fn context(&self, view: &ContextView) -> Context {
        // SAFETY: the view's slices are valid for the call (the ABI).
        let text = |slice| unsafe { raw::text(slice) };
        let request_id = text(view.request_id);
        let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(context) = latest.as_ref() {
            if context.request_id() == request_id && context.sequence() == view.sequence {
                return context.clone();
            }
        }
        // SAFETY: `function` points at a view valid for the call (the ABI).
        let function = self.function(unsafe { &*view.function }).clone();
        let mut builder = Context::builder(function, request_id.into_owned())
            .sequence(view.sequence)
            .trigger(views::trigger_from_code(view.trigger));
        if view.deadline_epoch_ms != 0 {
            builder = builder.deadline(Deadline::from_epoch_ms(view.deadline_epoch_ms));
        }
        if view.invoked_function_arn.len != 0 {
            builder = builder.invoked_function_arn(text(view.invoked_function_arn));
        }
        if view.trace_header.len != 0 {
            let trace = TraceContext::from_traceparent(&text(view.traceparent));
            builder = builder.trace(text(view.trace_header), trace);
        }
        if view.tenant_id.len != 0 {
            builder = builder.tenant_id(text(view.tenant_id));
        }
        let context = builder.build();
        *latest = Some(context.clone());
        context
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

pub(crate) fn outcome_from_view(view: &OutcomeView) -> Outcome {
    // SAFETY: the view's slices are valid for the call (the ABI).
    let (body, content_type, error_type, message) = unsafe {
        (
            raw::bytes(view.body),
            raw::text(view.content_type),
            raw::text(view.error_type),
            raw::text(view.error_message),
        )
    };
    if view.is_error == 0 {
        let content_type = views::intern_content_type(&content_type);
        Outcome::Response(Response::with_content_type(
            Bytes::copy_from_slice(body),
            content_type,
        ))
    } else {
        let kind = views::error_kind_from_code(view.error_kind);
        Outcome::Error(InvocationError::new(
            kind,
            error_type.into_owned(),
            message.into_owned(),
        ))
    }
}

/// Hands `outcome` to the host, unless it is still the one built from `view`
/// (same body allocation, or an equal error).
pub(crate) fn send_changed_outcome(
    output: *mut Output,
    view: &OutcomeView,
    original_body: *const u8,
    outcome: &Outcome,
) {
    let unchanged = match outcome {
        Outcome::Response(response) => {
            view.is_error == 0
                && response.body().as_ptr() == original_body
                && response.body().len() == view.body.len
                // SAFETY: valid for the call (the ABI).
                && response.content_type() == unsafe { raw::text(view.content_type) }
        }
        Outcome::Error(error) => outcome_from_view(view).error() == Some(error),
    };
    if !unchanged {
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

impl Instance {
    /// A fresh instance around `hook`.
    pub(crate) fn new(hook: Box<dyn Hook>) -> Self {
        Instance {
            hook,
            function: OnceLock::new(),
            latest: Mutex::new(None),
        }
    }
}
