//! The eleven lifecycle phases, in the order the engine runs them.

use std::fmt;

/// A lifecycle phase.
///
/// `RuntimeStart`, `FunctionStart`, `Close` and `End` run once per process;
/// `Snapshot` and `Restore` at most once, on a platform that snapshots the
/// initialised instance and starts copies of it (AWS Lambda SnapStart);
/// the others run once per invocation (`Freeze` whenever the platform may
/// freeze the instance, which on pull platforms is before each `next`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Process start, before the platform is contacted: config, plugins, telemetry.
    RuntimeStart,
    /// The platform's init phase: user initialisation, preload.
    FunctionStart,
    /// Init is over and the platform is about to snapshot the instance
    /// (AWS SnapStart's before-snapshot hooks); hooks in reverse order.
    Snapshot,
    /// The instance was started from a snapshot (AWS SnapStart's
    /// after-restore hooks); hooks in registration order.
    Restore,
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
    pub const ALL: [Phase; Phase::COUNT] = [
        Phase::RuntimeStart,
        Phase::FunctionStart,
        Phase::Snapshot,
        Phase::Restore,
        Phase::BeforeInvoke,
        Phase::Invoke,
        Phase::AfterInvoke,
        Phase::AfterResponse,
        Phase::Freeze,
        Phase::Close,
        Phase::End,
    ];

    /// How many phases there are: the length of per-phase tables.
    pub const COUNT: usize = 11;

    /// The phase's name as users write it, e.g. `"BeforeInvoke"`.
    pub const fn name(self) -> &'static str {
        match self {
            Phase::RuntimeStart => "RuntimeStart",
            Phase::FunctionStart => "FunctionStart",
            Phase::Snapshot => "Snapshot",
            Phase::Restore => "Restore",
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

/// A set of phases: the ones a [`Hook`](crate::Hook) takes part in.
///
/// The engine skips a hook entirely (no call, no timing) in phases outside
/// its set, so a hook that declares only what it implements costs nothing
/// elsewhere. The default, [`Phases::ALL`], is always correct.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Phases(u16);

impl Phases {
    /// Every phase.
    pub const ALL: Phases = Phases((1 << Phase::COUNT) - 1);
    /// No phase.
    pub const NONE: Phases = Phases(0);

    /// The set of `phases`.
    pub const fn of(phases: &[Phase]) -> Phases {
        let mut bits = 0;
        let mut i = 0;
        while i < phases.len() {
            bits |= 1 << phases[i].index();
            i += 1;
        }
        Phases(bits)
    }

    /// This set plus `phase`.
    pub const fn with(self, phase: Phase) -> Phases {
        Phases(self.0 | 1 << phase.index())
    }

    /// Both sets together.
    pub const fn union(self, other: Phases) -> Phases {
        Phases(self.0 | other.0)
    }

    /// Whether `phase` is in the set.
    pub const fn contains(self, phase: Phase) -> bool {
        self.0 & (1 << phase.index()) != 0
    }
}

impl fmt::Debug for Phases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(Phase::ALL.iter().filter(|p| self.contains(**p)))
            .finish()
    }
}
