//! The plugin side's state and conversions: the instance a `create` makes,
//! engine values rebuilt from C views, outcomes handed back, panics caught,
//! and hook futures run to completion without a runtime.

use std::ffi::c_void;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};
use std::task::{Context as TaskContext, Poll, Wake, Waker};

use bytes::Bytes;

use super::abi::{self, ByteSlice, ContextView, FunctionView, OutcomeView, Output};
use super::raw;
use super::views;
use crate::context::{Context, Facts};
use crate::error::{BoxError, InvocationError};
use crate::function::FunctionInfo;
use crate::hook::{Hook, HookFuture};
use crate::invocation::{Invocation, Outcome, Response};
use crate::panic;
use crate::trace::TraceContext;

/// One plugin instance: the hook, the function's facts once seen, and what
/// the phases of the latest invocation share.
pub(crate) struct Instance {
    pub(crate) hook: Box<dyn Hook>,
    function: FunctionCache,
    latest: Mutex<Latest>,
}

/// The function's facts, built from the first view that shows them and
/// shared from then on: a plugin serves one function.
#[derive(Default)]
pub(crate) struct FunctionCache(OnceLock<Arc<FunctionInfo>>);

impl FunctionCache {
    /// The facts `view` shows, built on the first call.
    pub(crate) fn get(&self, view: &FunctionView) -> &Arc<FunctionInfo> {
        self.0.get_or_init(|| {
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
}

/// What the phases of one invocation share, so each is built once per
/// invocation rather than once per phase: the invocation (its context
/// rebuilt from the first view that names it, refilled in place when no one
/// else holds it, and reused while views name the same request id and
/// sequence), and the outcome `AfterInvoke` left, which `AfterResponse`
/// takes instead of copying the body again when the host's view still shows
/// the same bytes.
///
/// A phase call holds the lock while its hook runs, so the hook borrows
/// these values rather than clones of them. A concurrent call of the same
/// plugin finds the lock taken and builds its own values instead: slower,
/// never blocked. Every reuse is checked against the view at hand.
#[derive(Default)]
struct Latest {
    invocation: Option<Invocation>,
    outcome: Option<Outcome>,
}

impl Instance {
    /// A fresh instance around `hook`.
    pub(crate) fn new(hook: Box<dyn Hook>) -> Self {
        Instance {
            hook,
            function: FunctionCache::default(),
            latest: Mutex::default(),
        }
    }

    /// The shared values, unless another call holds them. A hook that
    /// panicked while holding them left them poisoned; every reuse is
    /// checked against the view anyway, so they are taken as they are.
    fn try_latest(&self) -> Option<MutexGuard<'_, Latest>> {
        match self.latest.try_lock() {
            Ok(latest) => Some(latest),
            Err(TryLockError::Poisoned(poisoned)) => {
                self.latest.clear_poison();
                Some(poisoned.into_inner())
            }
            Err(TryLockError::WouldBlock) => None,
        }
    }

    pub(crate) fn function(&self, view: &FunctionView) -> &Arc<FunctionInfo> {
        self.function.get(view)
    }

    /// Runs `run` on the invocation `view` and `event` show: the context and
    /// a copy of the event.
    pub(crate) fn with_invocation<R>(
        &self,
        view: &ContextView,
        event: &[u8],
        run: impl FnOnce(&mut Invocation) -> R,
    ) -> R {
        let Some(mut latest) = self.try_latest() else {
            let payload = Bytes::copy_from_slice(event);
            return run(&mut Invocation::new(self.build_context(view), payload));
        };
        let invocation = self.current(&mut latest, view);
        invocation.payload = Bytes::copy_from_slice(event);
        let result = run(invocation);
        // The copy is freed now rather than held until the next invocation.
        invocation.payload = Bytes::new();
        result
    }

    /// Runs `run` on the context `view` shows and the outcome `outcome`
    /// shows: with `keep`, a copy that is then kept for `AfterResponse`;
    /// without, the kept one if it still equals the view, else a copy.
    pub(crate) fn with_outcome<R>(
        &self,
        view: &ContextView,
        outcome: &OutcomeView,
        keep: bool,
        run: impl FnOnce(&Context, &mut Outcome) -> R,
    ) -> R {
        let Some(mut latest) = self.try_latest() else {
            let context = self.build_context(view);
            return run(&context, &mut outcome_from_view(outcome));
        };
        self.current(&mut latest, view);
        let Latest {
            invocation,
            outcome: kept,
        } = &mut *latest;
        let context = &invocation.as_ref().expect("made by `current`").context;
        let mut shown = match kept.take() {
            Some(kept) if !keep && shows(outcome, &kept) => kept,
            _ => outcome_from_view(outcome),
        };
        let result = run(context, &mut shown);
        if keep {
            *kept = Some(shown);
        }
        result
    }

    /// The invocation of the shared values, made the one `view` shows: as
    /// it is if it already is; else refilled in place when no clone of its
    /// context is left (the usual case: no allocation, nothing freed); else
    /// with a new context. A new invocation drops the kept outcome.
    fn current<'a>(&self, latest: &'a mut Latest, view: &ContextView) -> &'a mut Invocation {
        // SAFETY: valid for the call (the ABI).
        let request_id = unsafe { raw::bytes(view.request_id) };
        let same = latest.invocation.as_ref().is_some_and(|invocation| {
            let context = &invocation.context;
            context.sequence() == view.sequence && context.request_id().as_bytes() == request_id
        });
        if !same {
            latest.outcome = None;
            match &mut latest.invocation {
                Some(invocation) => {
                    let context = &mut invocation.context;
                    // What a hook attached to the last invocation's context
                    // does not carry over to this one.
                    context.extensions_mut().clear();
                    match context.facts_mut() {
                        Some(facts) => self.refill(facts, view),
                        None => *context = self.build_context(view),
                    }
                }
                None => {
                    let context = self.build_context(view);
                    latest.invocation = Some(Invocation::new(context, Bytes::new()));
                }
            }
        }
        latest.invocation.as_mut().expect("set above")
    }

    fn build_context(&self, view: &ContextView) -> Context {
        // SAFETY: `function` points at a view valid for the call (the ABI).
        let function = self.function(unsafe { &*view.function }).clone();
        build_context(view, function)
    }

    /// Makes `facts` what [`Instance::build_context`] would build from
    /// `view`, keeping their allocations (text equal to the old is kept as
    /// is: the ARN is the same on every invocation).
    fn refill(&self, facts: &mut Facts, view: &ContextView) {
        // SAFETY: `function` points at a view valid for the call (the ABI).
        let function = self.function(unsafe { &*view.function });
        if !Arc::ptr_eq(&facts.function, function) {
            facts.function = function.clone();
        }
        // SAFETY: valid for the call (the ABI).
        set_text(&mut facts.request_id, unsafe {
            raw::bytes(view.request_id)
        });
        facts.sequence = view.sequence;
        facts.cold_start = view.sequence == 1;
        facts.trigger = views::trigger_from_code(view.trigger);
        facts.deadline = None;
        facts.deadline_epoch_ms = view.deadline_epoch_ms;
        facts.lazy_deadline.take();
        // SAFETY: the view's slices are valid for the call (the ABI).
        let bytes = |slice| unsafe { raw::bytes(slice) };
        set_optional_text(
            &mut facts.invoked_function_arn,
            bytes(view.invoked_function_arn),
        );
        if view.trace_header.len != 0 || view.has_trace != 0 {
            let header = bytes(view.trace_header);
            match &mut facts.trace_header {
                Some(old) => replace_text(old, header),
                None => {
                    let mut text = String::new();
                    replace_text(&mut text, header);
                    facts.trace_header = Some(text);
                }
            }
            facts.trace = trace_from_view(view);
        } else {
            facts.trace_header = None;
            facts.trace = None;
        }
        set_optional_text(&mut facts.tenant_id, bytes(view.tenant_id));
        facts.cancellation = Default::default();
        // Never set on a plugin's side (they stay on the host), so already
        // empty: client context, identity, credentials, platform headers.
    }
}

/// The context `view` shows, for `function` (the facts its `function`
/// view shows).
pub(crate) fn build_context(view: &ContextView, function: Arc<FunctionInfo>) -> Context {
    // SAFETY: the view's slices are valid for the call (the ABI).
    let text = |slice| unsafe { raw::text(slice) };
    let mut builder = Context::builder(function, text(view.request_id).into_owned())
        .sequence(view.sequence)
        .trigger(views::trigger_from_code(view.trigger))
        .deadline_epoch_ms(view.deadline_epoch_ms);
    if view.invoked_function_arn.len != 0 {
        builder = builder.invoked_function_arn(text(view.invoked_function_arn));
    }
    if view.trace_header.len != 0 || view.has_trace != 0 {
        builder = builder.trace(text(view.trace_header), trace_from_view(view));
    }
    if view.tenant_id.len != 0 {
        builder = builder.tenant_id(text(view.tenant_id));
    }
    builder.build()
}

/// The trace `view` carries in W3C form, if any.
pub(crate) fn trace_from_view(view: &ContextView) -> Option<TraceContext> {
    (view.has_trace != 0).then_some(TraceContext {
        trace_id: view.trace_id,
        parent_id: view.parent_id,
        sampled: view.trace_flags & abi::TRACE_SAMPLED != 0,
    })
}

/// Makes `text` the text of `bytes` (invalid UTF-8 replaced), in place,
/// keeping it untouched when it already is.
fn replace_text(text: &mut String, bytes: &[u8]) {
    if text.as_bytes() != bytes {
        set_text(text, bytes);
    }
}

/// Makes `text` the text of `bytes` (invalid UTF-8 replaced), in place,
/// without first comparing: for text that differs on every invocation.
fn set_text(text: &mut String, bytes: &[u8]) {
    text.clear();
    text.push_str(&raw::text_of(bytes));
}

/// Makes `slot` the text of `bytes`, `None` when empty, in place.
fn set_optional_text(slot: &mut Option<String>, bytes: &[u8]) {
    match slot {
        _ if bytes.is_empty() => *slot = None,
        Some(text) => replace_text(text, bytes),
        None => {
            let mut text = String::new();
            replace_text(&mut text, bytes);
            *slot = Some(text);
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
        let (body, content_type) =
            unsafe { (raw::bytes(view.body), raw::bytes(view.content_type)) };
        let content_type = views::content_type_from_bytes(content_type);
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
                    b"" => b"application/json",
                    other => other,
                } == response.content_type().as_bytes()
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
