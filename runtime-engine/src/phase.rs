//! The nine lifecycle phases, in the order the engine runs them.

use std::fmt;

/// A lifecycle phase.
///
/// `RuntimeStart`, `FunctionStart`, `Close` and `End` run once per process;
/// the others run once per invocation (`Freeze` whenever the platform may
/// freeze the instance, which on pull platforms is before each `next`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Process start, before the platform is contacted: config, plugins, telemetry.
    RuntimeStart,
    /// The platform's init phase: user initialisation, preload.
    FunctionStart,
    /// Before each invocation, hooks in registration order.
    BeforeInvoke,
    /// The handler itself.
    Invoke,
    /// After each invocation, hooks in reverse order; sees and may replace the outcome.
    AfterInvoke,
    /// After the platform has the response: flushes and background work.
    AfterResponse,
    /// The platform may freeze the instance now.
    Freeze,
    /// Shutdown was asked for; in-flight invocations have finished.
    Close,
    /// Last words, synchronous, just before the process exits.
    End,
}

impl Phase {
    /// Every phase, in lifecycle order.
    pub const ALL: [Phase; 9] = [
        Phase::RuntimeStart,
        Phase::FunctionStart,
        Phase::BeforeInvoke,
        Phase::Invoke,
        Phase::AfterInvoke,
        Phase::AfterResponse,
        Phase::Freeze,
        Phase::Close,
        Phase::End,
    ];

    /// The phase's name as users write it, e.g. `"BeforeInvoke"`.
    pub const fn name(self) -> &'static str {
        match self {
            Phase::RuntimeStart => "RuntimeStart",
            Phase::FunctionStart => "FunctionStart",
            Phase::BeforeInvoke => "BeforeInvoke",
            Phase::Invoke => "Invoke",
            Phase::AfterInvoke => "AfterInvoke",
            Phase::AfterResponse => "AfterResponse",
            Phase::Freeze => "Freeze",
            Phase::Close => "Close",
            Phase::End => "End",
        }
    }

    /// Position in [`Phase::ALL`]; used to index per-phase tables.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Whether the phase runs once per invocation rather than once per process.
    pub const fn is_per_invocation(self) -> bool {
        matches!(
            self,
            Phase::BeforeInvoke
                | Phase::Invoke
                | Phase::AfterInvoke
                | Phase::AfterResponse
                | Phase::Freeze
        )
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
