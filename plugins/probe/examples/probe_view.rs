//! The probe written as a `ViewHook` (the SDK's borrowed API): the same
//! recording and the same lines as `libprobe.so`, from the host's views.
//! Built as `libprobe_view.so` by
//! `cargo build -p light-runtime-plugin-probe --example probe_view`.

#[path = "../src/record.rs"]
mod record;

use light_runtime_plugin_sdk::{
    export_view_plugin, AfterInvokeCall, AfterResponseCall, BeforeInvokeCall, BoxError,
    FunctionInfo, Outcome, OutcomeRef, Response, ViewHook,
};
use record::{function_details, Probe, SeenContext};

fn outcome_details(outcome: &OutcomeRef<'_>) -> String {
    let error_type = outcome.is_error().then(|| outcome.error_type());
    record::outcome_details(error_type.as_deref(), outcome.body())
}

impl ViewHook for Probe {
    fn on_runtime_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        self.saw("RuntimeStart", function_details(function))
    }

    fn on_function_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        self.saw("FunctionStart", function_details(function))
    }

    fn on_before_invoke(&self, call: &mut BeforeInvokeCall<'_>) -> Result<(), BoxError> {
        let ctx = call.context();
        let (request_id, arn) = (ctx.request_id(), ctx.invoked_function_arn());
        let seen = SeenContext {
            request_id: &request_id,
            sequence: ctx.sequence(),
            cold_start: ctx.is_cold_start(),
            deadline: ctx.deadline_epoch_ms().is_some(),
            arn: arn.as_deref(),
            traceparent: ctx.trace().map(|t| t.to_traceparent()),
        };
        self.saw("BeforeInvoke", seen.details(call.event()))?;
        if let Some(event) = self.rewritten_event()? {
            call.rewrite_event(&event);
        }
        Ok(())
    }

    fn on_after_invoke(&self, call: &mut AfterInvokeCall<'_>) -> Result<(), BoxError> {
        let outcome = call.outcome();
        let details = format!(
            "request_id={} {}",
            call.context().request_id(),
            outcome_details(&outcome)
        );
        self.saw("AfterInvoke", details)?;
        if !outcome.is_error() {
            if let Some(body) = self.wrapped(outcome.body())? {
                call.replace(&Outcome::Response(Response::json(body)));
            }
        }
        Ok(())
    }

    fn on_after_response(&self, call: &AfterResponseCall<'_>) -> Result<(), BoxError> {
        let details = format!(
            "request_id={} {}",
            call.context().request_id(),
            outcome_details(&call.outcome())
        );
        self.saw("AfterResponse", details)
    }

    fn on_freeze(&self) -> Result<(), BoxError> {
        self.saw("Freeze", String::new())
    }

    fn on_close(&self) -> Result<(), BoxError> {
        self.saw("Close", String::new())
    }

    fn on_end(&self, exit_code: i32) {
        let _ = self.saw("End", format!("exit_code={exit_code}"));
    }
}

export_view_plugin!(name = "probe", new = Probe::from_config);
