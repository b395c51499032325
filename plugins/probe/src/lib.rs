//! Test fixture: a hook plugin that writes down every phase it sees, with
//! the data it saw, and rewrites, fails or panics when told to. The plugin
//! tests in `light-runtime/tests/plugins.rs` drive it.
//!
//! # Layout
//! - [`Probe`]: the hook; one line per phase in the log file.
//! - [`ProbeConfig`]: where to log, under which label, and what to do.
//!
//! # Example
//! ```toml
//! [[plugins]]
//! path = "/abs/target/debug/libprobe.so"
//! config = { log = "/tmp/t/probe.log", label = "first", rewrite_event = { rewritten = true } }
//! ```

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;

use light_runtime_plugin_sdk::{
    export_plugin, BoxError, Context, Ending, Flow, FunctionInfo, Hook, HookFuture, Invocation,
    Outcome, Response,
};
use serde::Deserialize;
use serde_json::Value;

/// What the probe does; the `config` table of its entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    /// The file each phase's line is appended to.
    pub log: String,
    /// Written at the start of each line, to tell instances apart.
    #[serde(default = "default_label")]
    pub label: String,
    /// `BeforeInvoke` replaces the event with this.
    #[serde(default)]
    pub rewrite_event: Option<Value>,
    /// `AfterInvoke` replaces a response body `b` with `{"wrapped": b}`.
    #[serde(default)]
    pub wrap_response: bool,
    /// The phase (as `Phase` names it) at which to panic.
    #[serde(default)]
    pub panic_at: Option<String>,
    /// The phase at which to return an error.
    #[serde(default)]
    pub fail_at: Option<String>,
}

fn default_label() -> String {
    "probe".to_owned()
}

/// Records phases; see the crate docs.
#[derive(Debug)]
pub struct Probe {
    config: ProbeConfig,
    log: Mutex<File>,
}

impl Probe {
    /// Reads the configuration (JSON text) and opens the log.
    pub fn from_config(config: &str) -> Result<Probe, BoxError> {
        let config: ProbeConfig =
            serde_json::from_str(config).map_err(|e| format!("probe: bad configuration: {e}"))?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.log)?;
        Ok(Probe {
            config,
            log: Mutex::new(log),
        })
    }

    /// Logs `phase` with `details`, then panics or fails if told to.
    fn saw(&self, phase: &str, details: String) -> Result<(), BoxError> {
        let line = format!("{} {phase} {details}\n", self.config.label);
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        log.write_all(line.as_bytes())?;
        drop(log);
        if self.config.panic_at.as_deref() == Some(phase) {
            panic!("probe `{}` was told to panic at {phase}", self.config.label);
        }
        if self.config.fail_at.as_deref() == Some(phase) {
            return Err(
                format!("probe `{}` was told to fail at {phase}", self.config.label).into(),
            );
        }
        Ok(())
    }
}

fn function_details(f: &FunctionInfo) -> String {
    format!(
        "function={} version={} platform={} memory={:?} region={:?}",
        f.name,
        f.version,
        f.platform.short_name(),
        f.memory_mb,
        f.region.as_deref()
    )
}

fn outcome_details(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Response(r) => format!("response={}", String::from_utf8_lossy(r.body())),
        Outcome::Error(e) => format!("error={}", e.error_type()),
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
        self.saw(
            "BeforeInvoke",
            format!(
                "request_id={} sequence={} cold_start={} deadline={} arn={} trace={} event={}",
                ctx.request_id(),
                ctx.sequence(),
                ctx.is_cold_start(),
                ctx.deadline().is_some(),
                ctx.invoked_function_arn().unwrap_or("-"),
                ctx.trace().map_or("-".to_owned(), |t| t.to_traceparent()),
                String::from_utf8_lossy(&invocation.payload)
            ),
        )?;
        if let Some(event) = &self.config.rewrite_event {
            invocation.payload = serde_json::to_vec(event)?.into();
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
        if let (true, Outcome::Response(response)) = (self.config.wrap_response, &*outcome) {
            let body: Value = serde_json::from_slice(response.body())?;
            *outcome = Outcome::Response(Response::json(serde_json::to_vec(
                &serde_json::json!({ "wrapped": body }),
            )?));
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
