//! A hook plugin that writes one JSON line per invocation: its request id,
//! the function, how long it took and how it ended.
//!
//! # Layout
//! - [`Audit`]: the hook; `BeforeInvoke` notes the start, `AfterInvoke`
//!   writes the line (the only two phases it exports). If the line cannot be written the invocation fails:
//!   an audit that silently stops auditing is worse than none.
//! - [`AuditConfig`]: where lines go.
//!
//! # Example
//! ```toml
//! # light-runtime.toml
//! [[plugins]]
//! path = "/opt/light-runtime/plugins/libaudit.so"
//! config = { path = "/tmp/audit.log" }   # omit `config` to write to stderr
//! ```
//! writes lines such as
//! `{"audit":"invocation","request_id":"8f..","function":"orders","duration_ms":1.42,"outcome":"ok"}`.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

use light_runtime_plugin_sdk::{export_plugin, BoxError, Context, Flow, Hook, Invocation, Outcome};
use serde::Deserialize;

/// The plugin's configuration: the `config` table of its entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The file lines are appended to; stderr when absent.
    pub path: Option<String>,
}

/// Writes one line per invocation; see the crate docs.
pub struct Audit {
    sink: Mutex<Box<dyn Write + Send>>,
    started: Mutex<HashMap<String, Instant>>,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit").finish_non_exhaustive()
    }
}

impl Audit {
    /// Reads the configuration (JSON text, empty for the defaults) and opens the sink.
    pub fn from_config(config: &str) -> Result<Audit, BoxError> {
        let config: AuditConfig = if config.trim().is_empty() {
            AuditConfig::default()
        } else {
            serde_json::from_str(config).map_err(|e| format!("audit: bad configuration: {e}"))?
        };
        let sink: Box<dyn Write + Send> = match &config.path {
            None => Box::new(std::io::stderr()),
            Some(path) => Box::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("audit: cannot open {path} for appending: {e}"))?,
            ),
        };
        Ok(Audit {
            sink: Mutex::new(sink),
            started: Mutex::new(HashMap::new()),
        })
    }
}

impl Hook for Audit {
    fn on_before_invoke(&self, invocation: &mut Invocation) -> Result<Flow, BoxError> {
        let id = invocation.context.request_id().to_owned();
        self.started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, Instant::now());
        Ok(Flow::Continue)
    }

    fn on_after_invoke(&self, context: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
        let started = self
            .started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(context.request_id());
        let duration_ms = started.map(|s| s.elapsed().as_secs_f64() * 1000.0);
        let mut line = serde_json::json!({
            "audit": "invocation",
            "request_id": context.request_id(),
            "function": context.function_name(),
            "duration_ms": duration_ms,
            "outcome": if outcome.is_error() { "error" } else { "ok" },
        });
        if let Some(error) = outcome.error() {
            line["error_type"] = error.error_type().into();
        }
        let mut sink = self.sink.lock().unwrap_or_else(|p| p.into_inner());
        writeln!(sink, "{line}")
            .and_then(|()| sink.flush())
            .map_err(|e| format!("audit: cannot write the audit line: {e}"))?;
        Ok(())
    }
}

export_plugin!(
    name = "audit",
    new = Audit::from_config,
    phases = [BeforeInvoke, AfterInvoke]
);
