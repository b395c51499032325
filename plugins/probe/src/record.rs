//! The probe's recording, shared by its two exports: the `Hook` one
//! (`src/lib.rs`) and the `ViewHook` one (`examples/probe_view.rs`), so the
//! tests hold both to the same lines.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;

use light_runtime_plugin_sdk::{BoxError, FunctionInfo};
use serde::Deserialize;
use serde_json::{json, Value};

/// What the probe does; the `config` table of its entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProbeConfig {
    /// The file each phase's line is appended to.
    pub(crate) log: String,
    /// Written at the start of each line, to tell instances apart.
    #[serde(default = "default_label")]
    pub(crate) label: String,
    /// `BeforeInvoke` replaces the event with this.
    #[serde(default)]
    pub(crate) rewrite_event: Option<Value>,
    /// `AfterInvoke` replaces a response body `b` with `{"wrapped": b}`.
    #[serde(default)]
    pub(crate) wrap_response: bool,
    /// The phase (as `Phase` names it) at which to panic.
    #[serde(default)]
    pub(crate) panic_at: Option<String>,
    /// The phase at which to return an error.
    #[serde(default)]
    pub(crate) fail_at: Option<String>,
}

fn default_label() -> String {
    "probe".to_owned()
}

/// Records phases; see the crate docs.
#[derive(Debug)]
pub(crate) struct Probe {
    config: ProbeConfig,
    log: Mutex<File>,
}

impl Probe {
    /// Reads the configuration (JSON text) and opens the log.
    pub(crate) fn from_config(config: &str) -> Result<Probe, BoxError> {
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
    pub(crate) fn saw(&self, phase: &str, details: String) -> Result<(), BoxError> {
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

/// What the log says of the function.
pub(crate) fn function_details(f: &FunctionInfo) -> String {
    format!(
        "function={} version={} platform={} memory={:?} region={:?}",
        f.name,
        f.version,
        f.platform.short_name(),
        f.memory_mb,
        f.region.as_deref()
    )
}

/// What the log says of the context at `BeforeInvoke`, from the values
/// either API shows.
pub(crate) struct SeenContext<'a> {
    /// The request id.
    pub(crate) request_id: &'a str,
    /// The invocation's sequence number.
    pub(crate) sequence: u64,
    /// Whether it is the cold start.
    pub(crate) cold_start: bool,
    /// Whether there is a deadline.
    pub(crate) deadline: bool,
    /// The invoked ARN, if any.
    pub(crate) arn: Option<&'a str>,
    /// The trace as a `traceparent`, if any.
    pub(crate) traceparent: Option<String>,
}

impl SeenContext<'_> {
    /// The `BeforeInvoke` line's details for `event`.
    pub(crate) fn details(&self, event: &[u8]) -> String {
        format!(
            "request_id={} sequence={} cold_start={} deadline={} arn={} trace={} event={}",
            self.request_id,
            self.sequence,
            self.cold_start,
            self.deadline,
            self.arn.unwrap_or("-"),
            self.traceparent.as_deref().unwrap_or("-"),
            String::from_utf8_lossy(event)
        )
    }
}

/// What the log says of an outcome: a response's body or an error's type.
pub(crate) fn outcome_details(error_type: Option<&str>, body: &[u8]) -> String {
    match error_type {
        None => format!("response={}", String::from_utf8_lossy(body)),
        Some(error_type) => format!("error={error_type}"),
    }
}

impl Probe {
    /// The event `BeforeInvoke` is told to put in place of the platform's.
    pub(crate) fn rewritten_event(&self) -> Result<Option<Vec<u8>>, BoxError> {
        Ok(match &self.config.rewrite_event {
            Some(event) => Some(serde_json::to_vec(event)?),
            None => None,
        })
    }

    /// The body `AfterInvoke` is told to put in place of a response's
    /// `body`: `{"wrapped": body}`.
    pub(crate) fn wrapped(&self, body: &[u8]) -> Result<Option<Vec<u8>>, BoxError> {
        if !self.config.wrap_response {
            return Ok(None);
        }
        let body: Value = serde_json::from_slice(body)?;
        Ok(Some(serde_json::to_vec(&json!({ "wrapped": body }))?))
    }
}
