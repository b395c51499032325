//! The demo's two hooks: one narrates each phase, one audits invocations.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use light_runtime::engine::Ending;
use light_runtime::{BoxError, Context, Flow, FunctionInfo, Hook, HookFuture, Invocation, Outcome};

/// Prints every phase as the engine enters it.
pub(crate) struct Narrator;

fn say(phase: &str, detail: &str) {
    println!("    │ {phase:<14} {detail}");
}

impl Hook for Narrator {
    fn name(&self) -> &str {
        "narrator"
    }
    fn on_runtime_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        say(
            "RuntimeStart",
            &format!("function `{}` on {}", function.name, function.platform),
        );
        Ok(())
    }
    fn on_function_start<'a>(&'a self, _: &'a FunctionInfo) -> HookFuture<'a> {
        say("FunctionStart", "init before the first event");
        HookFuture::done()
    }
    fn on_before_invoke(&self, invocation: &mut Invocation) -> Result<Flow, BoxError> {
        let ctx = &invocation.context;
        let cold = if ctx.is_cold_start() {
            ", cold start"
        } else {
            ""
        };
        say(
            "BeforeInvoke",
            &format!(
                "request {} (#{}{cold})",
                short(ctx.request_id()),
                ctx.sequence()
            ),
        );
        Ok(Flow::Continue)
    }
    fn on_after_invoke(&self, _: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
        let what = match outcome {
            Outcome::Response(r) => format!("response, {} bytes", r.body().len()),
            Outcome::Error(e) => format!("error {}", e.error_type()),
        };
        say("AfterInvoke", &what);
        Ok(())
    }
    fn on_after_response<'a>(&'a self, _: &'a Context, _: &'a Outcome) -> HookFuture<'a> {
        say(
            "AfterResponse",
            "the platform has the answer; background work may run now",
        );
        HookFuture::done()
    }
    fn on_freeze(&self) -> HookFuture<'_> {
        say(
            "Freeze",
            "idle: the platform may freeze us until the next event",
        );
        HookFuture::done()
    }
    fn on_close(&self) -> HookFuture<'_> {
        say("Close", "shutdown asked; nothing is in flight");
        HookFuture::done()
    }
    fn on_end(&self, ending: &Ending) {
        say("End", &format!("exit code {}", ending.exit_code));
        println!();
        println!("  Time spent in each phase (and each hook's share):");
        for line in ending.timings.to_string().lines() {
            println!("    {line}");
        }
    }
}

/// Writes one audit line per invocation after the response is sent, and
/// pretends to load a policy at start so its cold-start cost shows.
#[derive(Default)]
pub(crate) struct Audit {
    started: Mutex<Option<Instant>>,
    lines: Mutex<Vec<String>>,
}

impl Hook for Audit {
    fn name(&self) -> &str {
        "audit"
    }
    fn on_function_start<'a>(&'a self, _: &'a FunctionInfo) -> HookFuture<'a> {
        HookFuture::new(async {
            // Stands in for fetching an audit policy: 15 ms of cold start
            // that the timings table attributes to this hook.
            tokio::time::sleep(Duration::from_millis(15)).await;
            Ok(())
        })
    }
    fn on_before_invoke(&self, _: &mut Invocation) -> Result<Flow, BoxError> {
        *self.started.lock().unwrap() = Some(Instant::now());
        Ok(Flow::Continue)
    }
    fn on_after_invoke(&self, ctx: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
        let took = self.started.lock().unwrap().take().map(|s| s.elapsed());
        let verdict = match outcome {
            Outcome::Response(_) => "ok".to_owned(),
            Outcome::Error(e) => format!("failed ({})", e.error_type()),
        };
        self.lines.lock().unwrap().push(format!(
            "audit: request {} {verdict} in {:.3} ms",
            short(ctx.request_id()),
            took.unwrap_or_default().as_secs_f64() * 1000.0
        ));
        Ok(())
    }
    fn on_after_response<'a>(&'a self, _: &'a Context, _: &'a Outcome) -> HookFuture<'a> {
        for line in self.lines.lock().unwrap().drain(..) {
            say("AfterResponse", &line);
        }
        HookFuture::done()
    }
}

/// The first block of a request id, enough to tell invocations apart.
pub(crate) fn short(request_id: &str) -> &str {
    request_id.split('-').next().unwrap_or(request_id)
}
