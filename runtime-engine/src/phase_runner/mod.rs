//! The phase runner: every phase's hooks run here, and only here.
//!
//! [`PhaseRunner`] holds the hooks, the phases each takes part in, their
//! budgets and timings. [`PhaseRunner::phase`] starts one run of a phase,
//! and the caller says how a hook is called in it (a closure over the
//! phase's method). The rules every phase follows live in this file:
//!
//! - **Order.** Phases that build up (`RuntimeStart`, `FunctionStart`,
//!   `Restore`, `BeforeInvoke`) call hooks in registration order, the
//!   others in reverse, like the layers of an onion.
//! - **Timing.** Each hook's run is recorded, and so is the phase's.
//!   Hooks run back to back, so one clock read per hook boundary suffices.
//!   A per-invocation phase without hooks is skipped and not timed.
//! - **Budget.** The asynchronous phases (`FunctionStart`, `Snapshot`,
//!   `Restore`, `AfterResponse`, `Freeze`, `Close`) await pending hooks under one deadline for all.
//! - **Panics** are caught and count as the hook's failure.
//! - **Failures** are logged. The phases before the handler stop at the
//!   first one and hand its message back (an init error, or the
//!   invocation's error), and so do `Snapshot` and `Restore`; the others
//!   go on with the next hook.
//! - **Answers.** A `BeforeInvoke` hook may answer in place of the handler
//!   ([`HookCall::Answered`]), which ends the phase after it.
//!
//! The fast path: hooks almost always return a [`HookFuture`] that is
//! already complete, so a run calls them in a plain loop on its first poll,
//! with no timer and no allocation. Only a pending future moves the rest of
//! the run into a boxed future under the budget's deadline.

mod hook_call;
mod phase_clock;
mod rules;

pub(crate) use hook_call::{HookCall, HookFailure};

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use crate::budget::Budgets;
use crate::clock;
use crate::hook::{Hook, HookFuture};
use crate::panic;
use crate::phase::Phase;
use crate::timings::Timings;
use hook_call::HookResult;
use phase_clock::PhaseClock;
use rules::{budget, runs_in_registration_order, skipped_when_empty, stops_at_first_failure};

/// The hooks of a lifecycle and what the runner needs to run them.
#[derive(Debug)]
pub(crate) struct PhaseRunner {
    hooks: Vec<Box<dyn Hook>>,
    /// For each phase, the registration indices (ascending) of the hooks
    /// that take part in it; the others are neither called nor timed there.
    hooks_by_phase: [Box<[usize]>; Phase::COUNT],
    budgets: Budgets,
    timings: Timings,
}

impl PhaseRunner {
    /// A runner for `hooks`, in registration order.
    pub(crate) fn new(hooks: Vec<Box<dyn Hook>>, budgets: Budgets) -> Self {
        let phases: Vec<_> = hooks.iter().map(|hook| hook.phases()).collect();
        let hooks_by_phase = Phase::ALL.map(|phase| {
            (0..hooks.len())
                .filter(|&index| phases[index].contains(phase))
                .collect()
        });
        let timings = Timings::new(hooks.iter().map(|hook| hook.name().to_owned()));
        PhaseRunner {
            hooks,
            hooks_by_phase,
            budgets,
            timings,
        }
    }

    /// Whether any hook takes part in `phase`.
    pub(crate) fn has_hooks_for(&self, phase: Phase) -> bool {
        !self.hooks_by_phase[phase.index()].is_empty()
    }

    pub(crate) fn budgets(&self) -> &Budgets {
        &self.budgets
    }

    pub(crate) fn timings(&self) -> &Timings {
        &self.timings
    }

    /// A run of `phase`, not started yet.
    pub(crate) fn phase(&self, phase: Phase) -> PhaseRun<'_> {
        PhaseRun {
            runner: self,
            phase,
            remaining: &self.hooks_by_phase[phase.index()],
            started: None,
            request_id: None,
            clock: PhaseClock::default(),
            failure: None,
            stopped_at: None,
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub(crate) struct PhaseEnd {
    /// The failure that stopped a phase that stops at its first.
    pub(crate) failure: Option<HookFailure>,
    /// The registration index of the hook whose answer or failure stopped
    /// the phase.
    pub(crate) stopped_at: Option<usize>,
    /// When the last hook finished ([`clock::now`] nanoseconds); `None` if
    /// the phase was skipped.
    pub(crate) ended_at: Option<u64>,
}

/// One run of a phase: the hooks still to call, its clock, and how it
/// stopped. Configure it, then [`run`](Self::run) or
/// [`run_sync`](Self::run_sync) it.
#[derive(Debug)]
pub(crate) struct PhaseRun<'a> {
    runner: &'a PhaseRunner,
    phase: Phase,
    /// The registration indices of the hooks still to call, ascending:
    /// taken from the front in registration order, from the back in reverse.
    remaining: &'a [usize],
    /// Set when the caller's own clock read marks the phase's start.
    started: Option<u64>,
    /// Named in failure logs, for the per-invocation phases.
    request_id: Option<&'a str>,
    clock: PhaseClock,
    failure: Option<HookFailure>,
    stopped_at: Option<usize>,
}

impl<'a> PhaseRun<'a> {
    /// Starts the phase at `started` ([`clock::now`] nanoseconds), where
    /// the caller's previous phase ended, instead of reading the clock.
    pub(crate) fn starting_at(mut self, started: Option<u64>) -> Self {
        self.started = started;
        self
    }

    /// Names the invocation in the logs of hook failures.
    pub(crate) fn for_request(mut self, request_id: &'a str) -> Self {
        self.request_id = Some(request_id);
        self
    }

    /// Calls only the hooks registered before index `end`: an `AfterInvoke`
    /// runs for the hooks that entered the onion, no further.
    pub(crate) fn hooks_before(mut self, end: usize) -> Self {
        let entered = self.remaining.partition_point(|&index| index < end);
        self.remaining = &self.remaining[..entered];
        self
    }

    /// Runs the phase, calling each hook through `call`; awaits a hook's
    /// work only when it is not complete already (see the module docs).
    pub(crate) async fn run<F>(mut self, mut call: F) -> PhaseEnd
    where
        F: FnMut(&'a dyn Hook) -> HookCall<'a> + Send,
    {
        if !self.start() {
            return PhaseEnd::skipped();
        }
        match self.call_while_ready(&mut call) {
            None => self.finish(),
            Some((index, pending)) => Box::pin(self.wait(index, pending, call)).await,
        }
    }

    /// Runs a phase whose hook methods are synchronous (`RuntimeStart`,
    /// `BeforeInvoke`, `AfterInvoke`, `End`): `call` never returns work to
    /// await.
    pub(crate) fn run_sync<F>(mut self, mut call: F) -> PhaseEnd
    where
        F: FnMut(&'a dyn Hook) -> HookCall<'a>,
    {
        if !self.start() {
            return PhaseEnd::skipped();
        }
        if let Some((index, _)) = self.call_while_ready(&mut call) {
            unreachable!(
                "{} hook `{}` returned work to await from a synchronous method",
                self.phase,
                self.runner.hooks[index].name()
            );
        }
        self.finish()
    }

    /// Starts the clock; false if the phase is skipped.
    fn start(&mut self) -> bool {
        if skipped_when_empty(self.phase) && !self.runner.has_hooks_for(self.phase) {
            return false;
        }
        self.clock = PhaseClock::start(self.started.unwrap_or_else(clock::now));
        true
    }

    /// The next hook to call, in the phase's order.
    fn next_hook(&mut self) -> Option<usize> {
        let (&index, rest) = if runs_in_registration_order(self.phase) {
            self.remaining.split_first()?
        } else {
            self.remaining.split_last()?
        };
        self.remaining = rest;
        Some(index)
    }

    /// Calls the hooks still to call while their work is complete on
    /// return; hands back the first pending one with its hook's index, or
    /// `None` once the phase is over.
    fn call_while_ready<F>(&mut self, call: &mut F) -> Option<(usize, HookFuture<'a>)>
    where
        F: FnMut(&'a dyn Hook) -> HookCall<'a>,
    {
        while let Some(index) = self.next_hook() {
            let hook: &'a dyn Hook = &*self.runner.hooks[index];
            let result = match panic::catch(AssertUnwindSafe(|| call(hook))) {
                Ok(HookCall::Answered) => HookResult::Answered,
                Ok(HookCall::Work(work)) => match work.into_ready() {
                    Ok(result) => HookResult::from(result),
                    Err(pending) => return Some((index, pending)),
                },
                Err(payload) => HookResult::panicked(&*payload),
            };
            self.hook_finished(index, result);
        }
        None
    }

    /// From the first pending hook on: awaits each pending one under what
    /// is left of the phase's budget, the complete ones still in a loop.
    async fn wait<F>(
        mut self,
        mut index: usize,
        mut pending: HookFuture<'a>,
        mut call: F,
    ) -> PhaseEnd
    where
        F: FnMut(&'a dyn Hook) -> HookCall<'a>,
    {
        let budget = budget(&self.runner.budgets, self.phase);
        let spent = Duration::from_nanos(clock::now().saturating_sub(self.clock.started));
        // Armed on tokio's clock, so a paused test clock governs it too.
        let deadline =
            budget.map(|budget| tokio::time::Instant::now() + budget.saturating_sub(spent));
        loop {
            let guarded = panic::CatchPanic::new(pending);
            let finished = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, guarded).await.ok(),
                None => Some(guarded.await),
            };
            let result = match finished {
                Some(Ok(result)) => HookResult::from(result),
                Some(Err(payload)) => HookResult::panicked(&*payload),
                None => HookResult::Failed(format!(
                    "did not finish within the {} ms {} budget",
                    budget.unwrap_or_default().as_millis(),
                    self.phase
                )),
            };
            self.hook_finished(index, result);
            match self.call_while_ready(&mut call) {
                Some(next) => (index, pending) = next,
                None => return self.finish(),
            }
        }
    }

    /// Times hook `index`'s run and applies the phase's rules to its result.
    fn hook_finished(&mut self, index: usize, result: HookResult) {
        let elapsed = self.clock.lap();
        self.runner.timings.hook(index, self.phase, elapsed);
        match result {
            HookResult::Done => {}
            HookResult::Answered => self.stop_at(index),
            HookResult::Failed(message) => {
                let failure = self.failed(index, message);
                if stops_at_first_failure(self.phase) {
                    self.failure = Some(failure);
                    self.stop_at(index);
                }
            }
        }
    }

    fn stop_at(&mut self, index: usize) {
        self.stopped_at = Some(index);
        self.remaining = &[];
    }

    /// Logs hook `index`'s failure. Out of line: hooks seldom fail.
    #[cold]
    #[inline(never)]
    fn failed(&self, index: usize, message: String) -> HookFailure {
        let hook = self.runner.hooks[index].name();
        let failure = HookFailure {
            phase: self.phase,
            hook: hook.to_owned(),
            message,
        };
        let phase = self.phase;
        match self.request_id {
            Some(request_id) => tracing::warn!(hook, %phase, request_id, "{failure}"),
            None => tracing::warn!(hook, %phase, "{failure}"),
        }
        failure
    }

    /// Records the phase's time, from its start to its last hook's end.
    fn finish(self) -> PhaseEnd {
        let clock = self.clock;
        self.runner.timings.phase(self.phase, clock.elapsed());
        PhaseEnd {
            failure: self.failure,
            stopped_at: self.stopped_at,
            ended_at: Some(clock.last),
        }
    }
}

impl PhaseEnd {
    fn skipped() -> Self {
        PhaseEnd {
            failure: None,
            stopped_at: None,
            ended_at: None,
        }
    }

    /// The failure that stopped the phase, as an error.
    pub(crate) fn into_result(self) -> Result<(), HookFailure> {
        match self.failure {
            None => Ok(()),
            Some(failure) => Err(failure),
        }
    }
}
