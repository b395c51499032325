//! [`EventError`]: why a view could not read an event.

use std::fmt;

use crate::trigger::Trigger;

/// An event a view cannot read: the wrong trigger, or the right trigger
/// with a payload that does not match its documented shape.
#[derive(Debug)]
pub struct EventError {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    Mismatch {
        expected: &'static str,
        seen: Trigger,
    },
    Invalid {
        seen: Trigger,
        error: serde_json::Error,
    },
    Count {
        expected: &'static str,
        records: usize,
    },
}

impl EventError {
    pub(crate) fn mismatch(expected: &'static str, seen: Trigger) -> Self {
        EventError {
            kind: ErrorKind::Mismatch { expected, seen },
        }
    }

    pub(crate) fn invalid(seen: Trigger, error: serde_json::Error) -> Self {
        EventError {
            kind: ErrorKind::Invalid { seen, error },
        }
    }

    pub(crate) fn count(expected: &'static str, records: usize) -> Self {
        EventError {
            kind: ErrorKind::Count { expected, records },
        }
    }

    /// Whether the event came from another trigger than the view covers.
    pub fn is_mismatch(&self) -> bool {
        matches!(self.kind, ErrorKind::Mismatch { .. })
    }

    /// The trigger the event's shape named, if one was recognised.
    pub fn seen(&self) -> Option<&Trigger> {
        match &self.kind {
            ErrorKind::Mismatch { seen, .. } | ErrorKind::Invalid { seen, .. } => Some(seen),
            ErrorKind::Count { .. } => None,
        }
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Mismatch { expected, seen } => {
                write!(f, "expected {expected}, got {seen}")
            }
            ErrorKind::Invalid { seen, error } => {
                write!(
                    f,
                    "{seen} that does not match its documented shape: {error}"
                )
            }
            ErrorKind::Count { expected, records } => write!(
                f,
                "expected {expected} with one record, got {records} records \
                 (take `ObjectEvents` to receive every record)"
            ),
        }
    }
}

impl std::error::Error for EventError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Invalid { error, .. } => Some(error),
            _ => None,
        }
    }
}
