//! The rules that tell the phases apart: order, failure handling, budget,
//! and which are skipped when no hook takes part.

use std::time::Duration;

use crate::budget::Budgets;
use crate::phase::Phase;

/// Phases that build up run in registration order; those that wind down
/// (`Snapshot`, and everything after the handler) in reverse, so a hook
/// tears down before the hooks it was built on (SnapStart's rule too).
pub(super) fn runs_in_registration_order(phase: Phase) -> bool {
    matches!(
        phase,
        Phase::RuntimeStart | Phase::FunctionStart | Phase::Restore | Phase::BeforeInvoke
    )
}

/// Before the handler, a failure means the function cannot go on (init,
/// snapshot, restore) or the invocation cannot (`BeforeInvoke`); after it,
/// the other hooks still have work to do.
pub(super) fn stops_at_first_failure(phase: Phase) -> bool {
    runs_in_registration_order(phase) || phase == Phase::Snapshot
}

/// All of a phase's hooks together must finish within this; the
/// synchronous phases have none, as they never wait.
pub(super) fn budget(budgets: &Budgets, phase: Phase) -> Option<Duration> {
    match phase {
        Phase::FunctionStart => Some(budgets.function_start),
        Phase::Snapshot => Some(budgets.snapshot),
        Phase::Restore => Some(budgets.restore),
        Phase::AfterResponse => Some(budgets.after_response),
        Phase::Freeze => Some(budgets.freeze),
        Phase::Close => Some(budgets.close),
        _ => None,
    }
}

/// A per-invocation phase that no hook takes part in costs nothing, not
/// even a clock read; a once-per-process phase is timed even when empty,
/// so the report shows that it ran.
pub(super) fn skipped_when_empty(phase: Phase) -> bool {
    phase.is_per_invocation()
}
