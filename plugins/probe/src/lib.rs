//! Test fixture: a hook plugin that writes down every phase it sees, with
//! the data it saw, and rewrites, fails or panics when told to. The plugin
//! tests in `light-runtime/tests/plugins.rs` drive it, built twice: as a
//! `Hook` (`libprobe.so`, this file) and as a `ViewHook`
//! (`examples/libprobe_view.so`), writing the same lines.
//!
//! # Layout
//! - `record`: `Probe`, one line per phase in the log file, and
//!   `ProbeConfig`: where to log, under which label, and what to do.
//! - This file: the `Hook` and its export.
//!
//! # Example
//! ```toml
//! [[plugins]]
//! path = "/abs/target/debug/libprobe.so"
//! config = { log = "/tmp/t/probe.log", label = "first", rewrite_event = { rewritten = true } }
//! ```

mod record;

use light_runtime_plugin_sdk::{
    export_plugin, BoxError, Context, Ending, Flow, FunctionInfo, Hook, HookFuture, Invocation,
    Outcome, Response,
};
use record::{function_details, Probe, SeenContext};

fn outcome_details(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Response(r) => record::outcome_details(None, r.body()),
        Outcome::Error(e) => record::outcome_details(Some(e.error_type()), b""),
    }
}

impl Hook for Probe {
    fn on_runtime_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        self.saw("RuntimeStart", function_details(function))
    }

    fn on_function_start<'a>(&'a self, function: &'a FunctionInfo) -> HookFuture<'a> {
        HookFuture::ready(self.saw("FunctionStart", function_details(function)))
    }

    fn on_before_invoke(&self, invocation: &mut Invocation) -> Result<Flow, BoxError> {
        let ctx = &invocation.context;
        let seen = SeenContext {
            request_id: ctx.request_id(),
            sequence: ctx.sequence(),
            cold_start: ctx.is_cold_start(),
            deadline: ctx.deadline().is_some(),
            arn: ctx.invoked_function_arn(),
            traceparent: ctx.trace().map(|t| t.to_traceparent()),
        };
        self.saw("BeforeInvoke", seen.details(&invocation.payload))?;
        if let Some(event) = self.rewritten_event()? {
            invocation.payload = event.into();
        }
        Ok(Flow::Continue)
    }

    fn on_after_invoke(&self, context: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
        let details = format!(
            "request_id={} {}",
            context.request_id(),
            outcome_details(outcome)
        );
        self.saw("AfterInvoke", details)?;
        if let Outcome::Response(response) = &*outcome {
            if let Some(body) = self.wrapped(response.body())? {
                *outcome = Outcome::Response(Response::json(body));
            }
        }
        Ok(())
    }

    fn on_after_response<'a>(
        &'a self,
        context: &'a Context,
        outcome: &'a Outcome,
    ) -> HookFuture<'a> {
        let details = format!(
            "request_id={} {}",
            context.request_id(),
            outcome_details(outcome)
        );
        HookFuture::ready(self.saw("AfterResponse", details))
    }

    fn on_freeze(&self) -> HookFuture<'_> {
        HookFuture::ready(self.saw("Freeze", String::new()))
    }

    fn on_close(&self) -> HookFuture<'_> {
        HookFuture::ready(self.saw("Close", String::new()))
    }

    fn on_end(&self, ending: &Ending) {
        let _ = self.saw("End", format!("exit_code={}", ending.exit_code));
    }
}

export_plugin!(name = "probe", new = Probe::from_config);
