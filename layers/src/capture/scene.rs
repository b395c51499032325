//! [`Scene`]: one capture file, format `light-runtime-capture/1`
//! (`docs/capture-format.md` describes every field).
//!
//! The struct is strict (`deny_unknown_fields`) so that a reader of an
//! older or newer file, `light-runtime replay` first, says which field it
//! does not know instead of replaying something else.

use serde::{Deserialize, Serialize};

/// The value of every capture's `format` field.
pub const FORMAT: &str = "light-runtime-capture/1";

/// The string a redacted value becomes when no key is configured.
pub const REDACTED: &str = "[redacted]";

/// The prefix of a redacted value's keyed hash.
pub const HASH_PREFIX: &str = "hmac-sha256:";

/// One captured invocation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Always [`FORMAT`].
    pub format: String,
    /// When the invocation ended (RFC 3339, UTC).
    pub captured_at: String,
    /// Why it was captured: `error`, `panic`, `timeout` or `sample`.
    pub reason: String,
    /// The runtime that ran the invocation.
    pub runtime: RuntimeFacts,
    /// The invocation's context.
    pub context: ContextFacts,
    /// The platform's headers for this invocation, in order (redacted).
    pub headers: Vec<(String, String)>,
    /// The event (redacted).
    pub event: Event,
    /// The error the platform was answered with; `null` for a sampled success.
    pub error: Option<ErrorFacts>,
    /// The function's `tracing` lines during this invocation (redacted).
    pub logs: Logs,
    /// What the layer measured.
    pub timings: Timings,
    /// JSON pointers into this file of every value redaction replaced.
    pub redacted: Vec<String>,
    /// Captures dropped (rate limit, queue full) since the previous one.
    pub dropped_before: u64,
}

/// Which runtime ran the invocation, and its non-secret configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeFacts {
    /// light-runtime's version.
    pub version: String,
    /// The platform's short name: `aws`, `fc`, `scf`, `http`, `local`.
    pub platform: String,
    /// The function's name.
    pub function: String,
    /// The function's version.
    pub function_version: String,
    /// The handler the deployment named, if any.
    pub handler: Option<String>,
    /// Memory in MB, when the platform says.
    pub memory_mb: Option<u32>,
    /// The region, when the platform says.
    pub region: Option<String>,
    /// `LIGHT_RUNTIME_LAYERS`, split.
    pub layers: Vec<String>,
    /// `LIGHT_RUNTIME_PLUGINS`, split.
    pub plugins: Vec<String>,
}

/// The invocation's context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextFacts {
    /// The platform's request id.
    pub request_id: String,
    /// Time left before the deadline when the invocation started, in ms;
    /// replay gives the function the same.
    pub remaining_ms: Option<u64>,
    /// The deadline, in ms since the Unix epoch.
    pub deadline_epoch_ms: Option<u64>,
    /// The function's ARN (AWS) or its equivalent.
    pub invoked_function_arn: Option<String>,
    /// The trace header as the platform sent it.
    pub trace_header: Option<String>,
    /// The mobile client context (redacted).
    pub client_context: Option<serde_json::Value>,
    /// The Cognito identity.
    pub identity: Option<serde_json::Value>,
    /// The tenant id.
    pub tenant_id: Option<String>,
    /// The trigger kind (`http`, `pubsub`, `datasource`, `timer`, `other`).
    pub trigger: String,
    /// Whether this was the instance's first invocation.
    pub cold_start: bool,
    /// The invocation's number in this instance, from 1.
    pub sequence: u64,
    /// Whether the platform handed the function credentials (their values
    /// are never written).
    pub had_credentials: bool,
}

/// The event as captured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// `json` (in [`body`](Self::body) as a value), `text` (a string) or
    /// `base64` (bytes that are not UTF-8).
    pub encoding: String,
    /// The event; a string for `text` and `base64`.
    pub body: serde_json::Value,
    /// Whether the event was cut to fit the size bound; a truncated event
    /// is the head of the redacted JSON text, as `text`, and cannot be
    /// replayed.
    pub truncated: bool,
    /// The event's size in bytes as the platform sent it.
    pub original_bytes: u64,
}

/// The error the invocation ended with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorFacts {
    /// The error type the platform saw (`Function.Panic`, `ParseIntError`, ...).
    #[serde(rename = "type")]
    pub error_type: String,
    /// The message (redacted).
    pub message: String,
    /// `handler`, `malformed_event`, `panic`, `timeout`, `hook` or `runtime`.
    pub kind: String,
}

/// The function's log lines for the invocation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Logs {
    /// The lines, oldest first (`LEVEL target: message key=value`).
    pub lines: Vec<String>,
    /// Lines left out because the buffer was full.
    pub dropped: u64,
}

/// What the layer measured of the invocation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timings {
    /// From the layer's call to the outcome, in ms: `BeforeInvoke`,
    /// `Invoke` and `AfterInvoke`, and the layers inside this one.
    pub pipeline_ms: f64,
    /// Time left before the deadline when the outcome was known, in ms.
    pub remaining_at_end_ms: Option<u64>,
}

/// Why a file is not a capture this build can read.
#[derive(Debug)]
pub struct FormatError(pub String);

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FormatError {}

impl Scene {
    /// Reads a capture from its bytes; the error names the field and what
    /// was wrong with it (or the `format` it found), and where in the text.
    pub fn from_slice(bytes: &[u8]) -> Result<Scene, FormatError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| FormatError(format!("not JSON: {e}")))?;
        match value.get("format") {
            Some(serde_json::Value::String(f)) if f == FORMAT => {}
            Some(serde_json::Value::String(f)) if f.starts_with("light-runtime-capture/") => {
                return Err(FormatError(format!(
                    "field `format` is `{f}`: this build reads `{FORMAT}` only"
                )))
            }
            Some(other) => {
                return Err(FormatError(format!(
                    "field `format` is {other}, not `{FORMAT}`: not a light-runtime capture"
                )))
            }
            None => {
                return Err(FormatError(format!(
                    "no field `format` (expected `{FORMAT}`): not a light-runtime capture"
                )))
            }
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            FormatError(format!("field `{path}`: {}", e.inner()))
        })
    }
}
