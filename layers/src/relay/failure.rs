//! [`RelayFailure`]: why the relay gave no answer, as the error the
//! instance answers the platform with (unless it falls back to its own
//! handler).

use std::time::Duration;

use runtime_engine::InvocationError;

/// Why an invocation got no answer from the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayFailure {
    /// The relay variables are set but unusable (no secret, a bad URL).
    Misconfigured(String),
    /// The relay could not be reached; the invocation did not leave.
    Unavailable(String),
    /// The relay refused the invocation (another secret, most likely).
    Refused(String),
    /// No answer within the time the invocation had.
    Timeout {
        /// How long the instance waited.
        waited: Duration,
    },
    /// The connection broke after the invocation left, before an answer.
    Disconnected(String),
    /// An answer came but could not be trusted or read (treated as none).
    BadAnswer(String),
}

impl RelayFailure {
    /// The `errorType` this failure is reported with.
    pub fn error_type(&self) -> &'static str {
        match self {
            RelayFailure::Misconfigured(_) => "Relay.Misconfigured",
            RelayFailure::Unavailable(_) => "Relay.Unavailable",
            RelayFailure::Refused(_) => "Relay.Refused",
            RelayFailure::Timeout { .. } => "Relay.Timeout",
            RelayFailure::Disconnected(_) => "Relay.Disconnected",
            RelayFailure::BadAnswer(_) => "Relay.BadAnswer",
        }
    }

    /// The error the platform gets.
    pub fn into_error(self) -> InvocationError {
        InvocationError::runtime(self.error_type(), self.to_string())
    }
}

impl std::fmt::Display for RelayFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RelayFailure::Misconfigured(why) => write!(f, "the relay is misconfigured: {why}"),
            RelayFailure::Unavailable(why) => write!(
                f,
                "the relay is unreachable ({why}); is `light-runtime relay` running and the \
                 tunnel to it up?"
            ),
            RelayFailure::Refused(why) => write!(f, "the relay refused the invocation: {why}"),
            RelayFailure::Timeout { waited } => write!(
                f,
                "the relay did not answer within {} ms, the time the invocation had before \
                 its deadline (less the relay margin)",
                waited.as_millis()
            ),
            RelayFailure::Disconnected(why) => write!(
                f,
                "the relay disconnected before answering ({why}); the local build may have \
                 stopped or crashed"
            ),
            RelayFailure::BadAnswer(why) => {
                write!(
                    f,
                    "the relay's answer was not accepted, so none was taken: {why}"
                )
            }
        }
    }
}
