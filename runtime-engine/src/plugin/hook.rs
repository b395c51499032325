//! [`PluginHook`]: the host side of a loaded plugin. Each phase turns the
//! engine's values into C views, calls the plugin's function for it (if it
//! has one), and applies what the plugin handed back.

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::abi::{self, ByteSlice, FunctionView, PluginTable};
use super::handed_back::HandedBack;
use super::host_views::{context_view, function_view, outcome_view};
use crate::context::Context;
use crate::error::{BoxError, InvocationError};
use crate::function::FunctionInfo;
use crate::hook::Ending;
use crate::hook::{Flow, Hook, HookFuture};
use crate::invocation::{Invocation, Outcome};
use crate::phase::{Phase, Phases};

/// A plugin loaded from a shared library, run as a [`Hook`]. Made by
/// [`load`](super::load).
///
/// A phase the plugin has no function for costs one branch. A plugin that
/// fails or panics at `BeforeInvoke` or `AfterInvoke` fails that invocation
/// with an error naming it and its file; the runtime goes on.
#[derive(Debug)]
pub struct PluginHook {
    name: String,
    path: PathBuf,
    table: PluginTable,
    instance: *mut c_void,
    /// The function the per-invocation phases saw first and its view, kept
    /// (the `Arc` keeps the text the view points at alive) so that each call
    /// for the same function, the usual case, does not rebuild it.
    function: OnceLock<(Arc<FunctionInfo>, FunctionView)>,
}

// SAFETY: docs/plugin-abi.md requires every phase function to be callable
// from any thread and concurrently (as `Hook: Send + Sync` does), and the
// instance pointer is only ever handed back to the plugin's own functions.
unsafe impl Send for PluginHook {}
// SAFETY: as for `Send`.
unsafe impl Sync for PluginHook {}

impl PluginHook {
    pub(super) fn new(
        name: String,
        path: PathBuf,
        table: PluginTable,
        instance: *mut c_void,
    ) -> Self {
        PluginHook {
            name,
            path,
            table,
            instance,
            function: OnceLock::new(),
        }
    }

    /// The view of `context`'s function: the kept one when it is the same
    /// function, else one built into `scratch`.
    fn function_view<'a>(
        &'a self,
        context: &Context,
        scratch: &'a mut Option<FunctionView>,
    ) -> &'a FunctionView {
        let function = context.function_arc();
        let (kept, view) = self
            .function
            .get_or_init(|| (function.clone(), function_view(function)));
        if Arc::ptr_eq(kept, function) {
            view
        } else {
            scratch.insert(function_view(function))
        }
    }

    /// The file the plugin was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn failure(&self, handed_back: &HandedBack, status: i32) -> BoxError {
        format!(
            "{} (plugin `{}` from {})",
            handed_back.failure_message(status),
            self.name,
            self.path.display()
        )
        .into()
    }

    fn function_phase(
        &self,
        phase: Option<abi::FunctionPhaseFn>,
        function: &FunctionInfo,
    ) -> Result<(), BoxError> {
        let Some(call) = phase else { return Ok(()) };
        let view = function_view(function);
        let mut handed_back = HandedBack::default();
        let mut output = handed_back.output();
        // SAFETY: the plugin's own function with its instance, a view
        // borrowing `function` and an output, all valid for the call.
        let status = unsafe { call(self.instance, &view, &mut output) };
        self.check(&handed_back, status)
    }

    fn instance_phase(&self, phase: Option<abi::InstancePhaseFn>) -> Result<(), BoxError> {
        let Some(call) = phase else { return Ok(()) };
        let mut handed_back = HandedBack::default();
        let mut output = handed_back.output();
        // SAFETY: the plugin's own function with its instance and an output
        // valid for the call.
        let status = unsafe { call(self.instance, &mut output) };
        self.check(&handed_back, status)
    }

    fn outcome_phase(
        &self,
        call: abi::OutcomePhaseFn,
        context: &Context,
        outcome: &Outcome,
        handed_back: &mut HandedBack,
    ) -> i32 {
        let mut scratch = None;
        let view = context_view(context, self.function_view(context, &mut scratch));
        let outcome = outcome_view(outcome);
        let mut output = handed_back.output();
        // SAFETY: the plugin's own function with its instance and views
        // borrowing `context` and `outcome`, all valid for the call.
        unsafe { call(self.instance, &view, &outcome, &mut output) }
    }

    fn check(&self, handed_back: &HandedBack, status: i32) -> Result<(), BoxError> {
        match status {
            abi::STATUS_CONTINUE => Ok(()),
            _ => Err(self.failure(handed_back, status)),
        }
    }
}

impl Drop for PluginHook {
    fn drop(&mut self) {
        if let Some(destroy) = self.table.destroy {
            // SAFETY: the instance came from this plugin's `create` and is
            // destroyed once, here; no call can follow a drop.
            unsafe { destroy(self.instance) }
        }
    }
}

impl Hook for PluginHook {
    fn name(&self) -> &str {
        &self.name
    }

    /// The phases the plugin exports a function for: the engine neither
    /// calls nor times the plugin in the others.
    fn phases(&self) -> Phases {
        let table = &self.table;
        [
            (table.runtime_start.is_some(), Phase::RuntimeStart),
            (table.function_start.is_some(), Phase::FunctionStart),
            (table.before_invoke.is_some(), Phase::BeforeInvoke),
            (table.after_invoke.is_some(), Phase::AfterInvoke),
            (table.after_response.is_some(), Phase::AfterResponse),
            (table.freeze.is_some(), Phase::Freeze),
            (table.close.is_some(), Phase::Close),
            (table.end.is_some(), Phase::End),
        ]
        .into_iter()
        .filter(|(exported, _)| *exported)
        .fold(Phases::NONE, |set, (_, phase)| set.with(phase))
    }

    fn on_runtime_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        self.function_phase(self.table.runtime_start, function)
    }

    fn on_function_start<'a>(&'a self, function: &'a FunctionInfo) -> HookFuture<'a> {
        HookFuture::ready(self.function_phase(self.table.function_start, function))
    }

    fn on_before_invoke(&self, invocation: &mut Invocation) -> Result<Flow, BoxError> {
        let Some(call) = self.table.before_invoke else {
            return Ok(Flow::Continue);
        };
        let context = &invocation.context;
        let mut scratch = None;
        let view = context_view(context, self.function_view(context, &mut scratch));
        let mut handed_back = HandedBack::default();
        let mut output = handed_back.output();
        let event = ByteSlice::new(&invocation.payload);
        // SAFETY: the plugin's own function with its instance, views
        // borrowing the invocation, and an output, all valid for the call.
        let status = unsafe { call(self.instance, &view, event, &mut output) };
        match status {
            abi::STATUS_CONTINUE => {
                if let Some(event) = handed_back.take_event() {
                    invocation.payload = event;
                }
                Ok(Flow::Continue)
            }
            abi::STATUS_RESPOND => match handed_back.take_outcome() {
                Some(outcome) => Ok(Flow::Respond(outcome)),
                None => Err(format!(
                    "it asked to answer in place of the handler but set no response or error \
                     (plugin `{}` from {})",
                    self.name,
                    self.path.display()
                )
                .into()),
            },
            _ => Err(self.failure(&handed_back, status)),
        }
    }

    fn on_after_invoke(&self, context: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
        let Some(call) = self.table.after_invoke else {
            return Ok(());
        };
        let mut handed_back = HandedBack::default();
        let status = self.outcome_phase(call, context, outcome, &mut handed_back);
        if status == abi::STATUS_CONTINUE {
            if let Some(replaced) = handed_back.take_outcome() {
                *outcome = replaced;
            }
            return Ok(());
        }
        // A plugin that cannot finish its AfterInvoke (an audit that cannot
        // write, a policy that cannot check) fails the invocation rather
        // than let the outcome through unchecked.
        let error = self.failure(&handed_back, status);
        *outcome = Outcome::Error(InvocationError::hook(format!(
            "AfterInvoke hook `{}` failed: {error}",
            self.name
        )));
        Err(error)
    }

    fn on_after_response<'a>(
        &'a self,
        context: &'a Context,
        outcome: &'a Outcome,
    ) -> HookFuture<'a> {
        let Some(call) = self.table.after_response else {
            return HookFuture::done();
        };
        let mut handed_back = HandedBack::default();
        let status = self.outcome_phase(call, context, outcome, &mut handed_back);
        HookFuture::ready(self.check(&handed_back, status))
    }

    fn on_freeze(&self) -> HookFuture<'_> {
        HookFuture::ready(self.instance_phase(self.table.freeze))
    }

    fn on_close(&self) -> HookFuture<'_> {
        HookFuture::ready(self.instance_phase(self.table.close))
    }

    fn on_end(&self, ending: &Ending) {
        if let Some(end) = self.table.end {
            // SAFETY: the plugin's own function with its instance.
            unsafe { end(self.instance, ending.exit_code) }
        }
    }
}
