//! The FC timer trigger's event.

use serde::{Deserialize, Serialize};

/// An FC timer trigger's event: `{"triggerTime", "triggerName", "payload"}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimerEvent {
    /// When the trigger fired, RFC 3339 (`2023-12-26T07:49:00Z`).
    pub trigger_time: String,
    /// The trigger's name.
    pub trigger_name: String,
    /// The trigger message set in the trigger's configuration.
    #[serde(default)]
    pub payload: Option<String>,
}
