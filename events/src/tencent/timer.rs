//! The SCF timer trigger's event.

use serde::{Deserialize, Serialize};

/// An SCF timer trigger's event: `{"Type": "Timer", "TriggerName", "Time", "Message"}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimerEvent {
    /// Always `Timer`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The trigger's name.
    pub trigger_name: String,
    /// When it fired, RFC 3339 (`2019-02-21T11:49:00Z`).
    pub time: String,
    /// The trigger's input parameter (up to 4 KB), when one is set.
    #[serde(default)]
    pub message: Option<String>,
}
