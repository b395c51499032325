//! [`ViewHook`]: the plugin side's borrowed API. Its methods see the host's
//! C views as they are (the event and the response as `&[u8]`, the context
//! through accessors) for the length of the call, instead of the owned
//! engine values a [`Hook`](runtime_engine::Hook) gets. Nothing is copied or
//! rebuilt unless the hook asks for it, so a phase costs a plugin what the
//! crossing costs: for hot-path plugins such as a policy check that reads
//! the event and seldom answers.
//!
//! What a hook hands back (a rewritten event, an answer, a replaced
//! outcome) goes straight to the host's [`Output`] callbacks, which copy it.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use runtime_engine::plugin::abi::{self, ContextView, OutcomeView, Output};
use runtime_engine::{
    BoxError, Context, Deadline, ErrorKind, FunctionInfo, Outcome, TraceContext, Trigger,
};

use crate::boundary::send_outcome;
use crate::from_views::{build_context, outcome_from_view, trace_from_view};

/// A hook written against the boundary's views: what a plugin implements
/// when a copy of the event and the context per invocation is more than
/// it wants to pay (see `docs/writing-a-hook-plugin.md`, "Two ways to write
/// a hook"). Export it with [`export_view_plugin!`](crate::export_view_plugin).
///
/// Every method has a do-nothing default, runs on the thread the host
/// calls it on, and may be called concurrently (for platforms that send
/// several invocations at once). What a method borrows is valid only for
/// the call; keep a copy (`to_vec`, [`ContextRef::to_context`],
/// [`OutcomeRef::to_outcome`]) to use it later. An error or a panic fails
/// the phase as it does for a [`Hook`](runtime_engine::Hook).
pub trait ViewHook: Send + Sync + 'static {
    /// `RuntimeStart`: the process started. A failure is an init error.
    fn on_runtime_start(&self, _function: &FunctionInfo) -> Result<(), BoxError> {
        Ok(())
    }

    /// `FunctionStart`: the platform's init. A failure is an init error.
    fn on_function_start(&self, _function: &FunctionInfo) -> Result<(), BoxError> {
        Ok(())
    }

    /// `BeforeInvoke`: may rewrite the event or answer in place of the
    /// handler ([`BeforeInvokeCall`]). An error fails the invocation.
    fn on_before_invoke(&self, _call: &mut BeforeInvokeCall<'_>) -> Result<(), BoxError> {
        Ok(())
    }

    /// `AfterInvoke`: may replace the outcome ([`AfterInvokeCall`]). An
    /// error fails the invocation.
    fn on_after_invoke(&self, _call: &mut AfterInvokeCall<'_>) -> Result<(), BoxError> {
        Ok(())
    }

    /// `AfterResponse`: the platform has the response.
    fn on_after_response(&self, _call: &AfterResponseCall<'_>) -> Result<(), BoxError> {
        Ok(())
    }

    /// `Freeze`: the instance may be frozen once this returns.
    fn on_freeze(&self) -> Result<(), BoxError> {
        Ok(())
    }

    /// `Close`: shutdown.
    fn on_close(&self) -> Result<(), BoxError> {
        Ok(())
    }

    /// `End`: last words, with the exit code about to be used. Cannot fail.
    fn on_end(&self, _exit_code: i32) {}
}

/// One invocation's context as the host shows it, borrowed for the call.
///
/// Text the host sends is UTF-8 (the ABI says so); should it not be, the
/// accessors replace the invalid bytes rather than trust them.
#[derive(Clone, Copy)]
pub struct ContextRef<'a> {
    view: &'a ContextView,
    function: &'a Arc<FunctionInfo>,
}

impl<'a> ContextRef<'a> {
    pub(crate) fn new(view: &'a ContextView, function: &'a Arc<FunctionInfo>) -> Self {
        ContextRef { view, function }
    }

    /// The platform's id for this invocation.
    pub fn request_id(&self) -> Cow<'a, str> {
        // SAFETY: the view's slices are valid for the call, which `'a` is.
        unsafe { self.view.request_id.to_text() }
    }

    /// The function's static facts.
    pub fn function(&self) -> &'a FunctionInfo {
        self.function
    }

    /// 1 for the first invocation of this instance, then 2, 3, ...
    pub fn sequence(&self) -> u64 {
        self.view.sequence
    }

    /// True for the first invocation this instance serves.
    pub fn is_cold_start(&self) -> bool {
        self.view.cold_start != 0
    }

    /// What triggered the invocation.
    pub fn trigger(&self) -> Trigger {
        abi::trigger::from_code(self.view.trigger)
    }

    /// The deadline as Unix epoch milliseconds, if the platform set one.
    pub fn deadline_epoch_ms(&self) -> Option<u64> {
        Some(self.view.deadline_epoch_ms).filter(|&ms| ms != 0)
    }

    /// When the platform stops waiting, if it set a deadline (reads the
    /// clocks; [`deadline_epoch_ms`](Self::deadline_epoch_ms) does not).
    pub fn deadline(&self) -> Option<Deadline> {
        self.deadline_epoch_ms().map(Deadline::from_epoch_ms)
    }

    /// Time left before the deadline (zero once it has passed); `None`
    /// without a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline().map(|deadline| deadline.remaining())
    }

    /// The ARN the caller used (AWS).
    pub fn invoked_function_arn(&self) -> Option<Cow<'a, str>> {
        optional_text(self.view.invoked_function_arn)
    }

    /// The platform's trace header as received.
    pub fn trace_header(&self) -> Option<Cow<'a, str>> {
        optional_text(self.view.trace_header)
    }

    /// The caller's trace in W3C form, if the header parsed.
    pub fn trace(&self) -> Option<TraceContext> {
        trace_from_view(self.view)
    }

    /// The tenant the invocation is for, on platforms that have tenants.
    pub fn tenant_id(&self) -> Option<Cow<'a, str>> {
        optional_text(self.view.tenant_id)
    }

    /// An owned engine [`Context`] with these facts, to keep past the call
    /// or to hand to code written for `Hook`s. Costs what the `Hook` path
    /// pays per invocation.
    pub fn to_context(&self) -> Context {
        build_context(self.view, self.function)
    }
}

impl std::fmt::Debug for ContextRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextRef")
            .field("request_id", &self.request_id())
            .field("sequence", &self.sequence())
            .field("function", &self.function.name)
            .finish_non_exhaustive()
    }
}

fn optional_text<'a>(slice: abi::ByteSlice) -> Option<Cow<'a, str>> {
    // SAFETY: the caller's slice comes from a view valid for `'a`.
    (slice.len != 0).then(|| unsafe { slice.to_text() })
}

/// How the invocation ended, as the host shows it, borrowed for the call.
#[derive(Clone, Copy)]
pub struct OutcomeRef<'a> {
    view: &'a OutcomeView,
}

impl<'a> OutcomeRef<'a> {
    /// Whether the invocation failed.
    pub fn is_error(&self) -> bool {
        self.view.is_error != 0
    }

    /// The response body; empty for an error.
    pub fn body(&self) -> &'a [u8] {
        // SAFETY: the view's slices are valid for the call, which `'a` is.
        unsafe { self.view.body.as_bytes() }
    }

    /// The response's content type; empty for an error.
    pub fn content_type(&self) -> Cow<'a, str> {
        // SAFETY: as in `body`.
        unsafe { self.view.content_type.to_text() }
    }

    /// Who failed, for an error.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        self.is_error()
            .then(|| abi::error_kind::from_code(self.view.error_kind))
    }

    /// The error type (`Function.Panic`, `Policy.Rejected`, ...); empty for
    /// a response.
    pub fn error_type(&self) -> Cow<'a, str> {
        // SAFETY: as in `body`.
        unsafe { self.view.error_type.to_text() }
    }

    /// The error message; empty for a response.
    pub fn error_message(&self) -> Cow<'a, str> {
        // SAFETY: as in `body`.
        unsafe { self.view.error_message.to_text() }
    }

    /// An owned copy as the engine's [`Outcome`].
    pub fn to_outcome(&self) -> Outcome {
        outcome_from_view(self.view)
    }
}

impl std::fmt::Debug for OutcomeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_error() {
            f.debug_struct("OutcomeRef::Error")
                .field("error_type", &self.error_type())
                .field("message", &self.error_message())
                .finish()
        } else {
            f.debug_struct("OutcomeRef::Response")
                .field("body_len", &self.body().len())
                .field("content_type", &self.content_type())
                .finish()
        }
    }
}

/// `BeforeInvoke` as a [`ViewHook`] sees it: the context and the event,
/// and what the hook may do about them.
pub struct BeforeInvokeCall<'a> {
    context: ContextRef<'a>,
    event: &'a [u8],
    output: &'a Output,
    responded: bool,
}

impl<'a> BeforeInvokeCall<'a> {
    pub(crate) fn new(context: ContextRef<'a>, event: &'a [u8], output: &'a Output) -> Self {
        BeforeInvokeCall {
            context,
            event,
            output,
            responded: false,
        }
    }

    /// The invocation's context.
    pub fn context(&self) -> ContextRef<'a> {
        self.context
    }

    /// The event as the platform sent it (or as an earlier plugin rewrote
    /// it); [`rewrite_event`](Self::rewrite_event) does not change it.
    pub fn event(&self) -> &'a [u8] {
        self.event
    }

    /// The handler (and the hooks after this one) will see `event`
    /// instead. The host copies it now; the last call wins.
    pub fn rewrite_event(&mut self, event: &[u8]) {
        // SAFETY: the host's own callback, with a slice borrowed for the call.
        unsafe { (self.output.set_event)(self.output.host, abi::ByteSlice::new(event)) }
    }

    /// Answers with `outcome` in place of the handler: the handler and the
    /// hooks after this one are skipped, as with `Flow::Respond`. The last
    /// call wins.
    pub fn respond(&mut self, outcome: &Outcome) {
        send_outcome(self.output, outcome);
        self.responded = true;
    }

    /// Whether [`respond`](Self::respond) was called.
    pub fn responded(&self) -> bool {
        self.responded
    }
}

impl std::fmt::Debug for BeforeInvokeCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BeforeInvokeCall")
            .field("context", &self.context)
            .field("event_len", &self.event.len())
            .field("responded", &self.responded)
            .finish()
    }
}

/// `AfterInvoke` as a [`ViewHook`] sees it: the context and the outcome,
/// which the hook may replace.
pub struct AfterInvokeCall<'a> {
    context: ContextRef<'a>,
    outcome: OutcomeRef<'a>,
    output: &'a Output,
}

impl<'a> AfterInvokeCall<'a> {
    pub(crate) fn new(
        context: ContextRef<'a>,
        outcome: &'a OutcomeView,
        output: &'a Output,
    ) -> Self {
        AfterInvokeCall {
            context,
            outcome: OutcomeRef { view: outcome },
            output,
        }
    }

    /// The invocation's context.
    pub fn context(&self) -> ContextRef<'a> {
        self.context
    }

    /// The outcome as it reached this hook; [`replace`](Self::replace) does
    /// not change it.
    pub fn outcome(&self) -> OutcomeRef<'a> {
        self.outcome
    }

    /// The platform gets `outcome` instead (a response for an error, or
    /// the other way round, as well). The host copies it now; the last call
    /// wins.
    pub fn replace(&mut self, outcome: &Outcome) {
        send_outcome(self.output, outcome);
    }
}

impl std::fmt::Debug for AfterInvokeCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AfterInvokeCall")
            .field("context", &self.context)
            .field("outcome", &self.outcome)
            .finish()
    }
}

/// `AfterResponse` as a [`ViewHook`] sees it: the context and the outcome
/// the platform got.
#[derive(Debug)]
pub struct AfterResponseCall<'a> {
    context: ContextRef<'a>,
    outcome: OutcomeRef<'a>,
}

impl<'a> AfterResponseCall<'a> {
    pub(crate) fn new(context: ContextRef<'a>, outcome: &'a OutcomeView) -> Self {
        AfterResponseCall {
            context,
            outcome: OutcomeRef { view: outcome },
        }
    }

    /// The invocation's context.
    pub fn context(&self) -> ContextRef<'a> {
        self.context
    }

    /// The outcome the platform got.
    pub fn outcome(&self) -> OutcomeRef<'a> {
        self.outcome
    }
}
