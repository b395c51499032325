//! [`Verdict`]: the replayed outcome against the captured one.

use light_runtime::layers::capture::scene::ErrorFacts;

/// Which verdict `replay` exits 0 for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Expect {
    /// The captured outcome happens again.
    Reproduced,
    /// A captured failure now succeeds.
    Fixed,
}

impl Expect {
    /// The name as typed.
    pub fn name(self) -> &'static str {
        match self {
            Expect::Reproduced => "reproduced",
            Expect::Fixed => "fixed",
        }
    }
}

/// How the replayed invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayed {
    /// The function answered.
    Response(String),
    /// The function (or its runtime) reported an error.
    Error {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        message: String,
    },
}

impl Replayed {
    /// One line for the report.
    pub fn describe(&self) -> String {
        match self {
            Replayed::Response(body) => {
                let mut shown: String = body.chars().take(200).collect();
                if shown.len() < body.len() {
                    shown.push_str("...");
                }
                format!("success: {shown}")
            }
            Replayed::Error {
                error_type,
                message,
            } => format!("error {error_type}: {message}"),
        }
    }
}

/// The replayed outcome compared with the captured one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The same error type (`same_message`: and the same message).
    Reproduced {
        /// Whether the message is the same too.
        same_message: bool,
    },
    /// A sampled success succeeded again.
    StillSucceeds,
    /// The captured failure now succeeds.
    Fixed,
    /// It fails, but differently.
    Different,
    /// A captured success now fails.
    Regressed,
}

impl Verdict {
    /// Compares `captured` (the capture's error, `None` for a sample) with `replayed`.
    pub fn of(captured: Option<&ErrorFacts>, replayed: &Replayed) -> Verdict {
        match (captured, replayed) {
            (
                Some(c),
                Replayed::Error {
                    error_type,
                    message,
                },
            ) if *error_type == c.error_type => Verdict::Reproduced {
                same_message: *message == c.message,
            },
            (Some(_), Replayed::Error { .. }) => Verdict::Different,
            (Some(_), Replayed::Response(_)) => Verdict::Fixed,
            (None, Replayed::Response(_)) => Verdict::StillSucceeds,
            (None, Replayed::Error { .. }) => Verdict::Regressed,
        }
    }

    /// Whether this is what `expect` asks for.
    pub fn meets(&self, expect: Expect) -> bool {
        match expect {
            Expect::Reproduced => {
                matches!(self, Verdict::Reproduced { .. } | Verdict::StillSucceeds)
            }
            Expect::Fixed => matches!(self, Verdict::Fixed),
        }
    }

    /// Its name: `reproduced`, `fixed`, `different` or `regressed`.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Reproduced { .. } | Verdict::StillSucceeds => "reproduced",
            Verdict::Fixed => "fixed",
            Verdict::Different => "different",
            Verdict::Regressed => "regressed",
        }
    }

    /// One line for the report.
    pub fn describe(&self) -> &'static str {
        match self {
            Verdict::Reproduced { same_message: true } => {
                "reproduced (same error type and message)"
            }
            Verdict::Reproduced {
                same_message: false,
            } => "reproduced (same error type; the message differs)",
            Verdict::StillSucceeds => "reproduced (a sampled success succeeds again)",
            Verdict::Fixed => "fixed (the captured failure now succeeds)",
            Verdict::Different => "different (it fails with another error type)",
            Verdict::Regressed => "regressed (a captured success now fails)",
        }
    }
}

/// The captured outcome, for the report.
pub fn describe_captured(captured: Option<&ErrorFacts>) -> String {
    match captured {
        Some(e) => format!("error {}: {}", e.error_type, e.message),
        None => "success (a sample)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured() -> ErrorFacts {
        ErrorFacts {
            error_type: "Order.Rejected".into(),
            message: "no items".into(),
            kind: "handler".into(),
        }
    }

    #[test]
    fn verdicts_and_what_each_expectation_accepts() {
        let same = Replayed::Error {
            error_type: "Order.Rejected".into(),
            message: "no items".into(),
        };
        let other_msg = Replayed::Error {
            error_type: "Order.Rejected".into(),
            message: "x".into(),
        };
        let other = Replayed::Error {
            error_type: "Function.Panic".into(),
            message: "x".into(),
        };
        let ok = Replayed::Response("{}".into());
        let c = captured();
        assert_eq!(
            Verdict::of(Some(&c), &same),
            Verdict::Reproduced { same_message: true }
        );
        assert_eq!(
            Verdict::of(Some(&c), &other_msg),
            Verdict::Reproduced {
                same_message: false
            }
        );
        assert_eq!(Verdict::of(Some(&c), &other), Verdict::Different);
        assert_eq!(Verdict::of(Some(&c), &ok), Verdict::Fixed);
        assert_eq!(Verdict::of(None, &ok), Verdict::StillSucceeds);
        assert_eq!(Verdict::of(None, &other), Verdict::Regressed);
        assert!(Verdict::Fixed.meets(Expect::Fixed) && !Verdict::Fixed.meets(Expect::Reproduced));
        assert!(
            !Verdict::Different.meets(Expect::Fixed)
                && !Verdict::Different.meets(Expect::Reproduced)
        );
    }
}
