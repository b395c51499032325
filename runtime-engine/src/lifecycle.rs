//! [`Lifecycle`]: runs each phase's hooks in order, within budget, timed.
//!
//! Adapters call it at the points their platform's contract maps to each
//! phase; the per-invocation phases around the handler live in
//! [`HookService`](crate::HookService).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::budget::Budgets;
use crate::clock;
use crate::context::{Context, ContextBuilder};
use crate::error::{BoxError, Error};
use crate::function::FunctionInfo;
use crate::hook::{Hook, HookFuture};
use crate::invocation::Outcome;
use crate::panic;
use crate::phase::Phase;
use crate::service::HookLayer;
use crate::timings::{Laps, Timings, TimingsReport};

/// What `End` hooks are told.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Ending {
    /// The code the process is about to exit with.
    pub exit_code: i32,
    /// Every phase's timings up to now.
    pub timings: TimingsReport,
}

/// The driver of the lifecycle: holds the hooks, their budgets and timings.
///
/// ```
/// use std::sync::Arc;
/// use runtime_engine::{Budgets, FunctionInfo, Hook, Lifecycle, Platform};
///
/// let function = FunctionInfo::new(Platform::Local, "echo");
/// let hooks: Vec<Box<dyn Hook>> = Vec::new();
/// let lifecycle = Arc::new(Lifecycle::new(function, hooks, Budgets::default()));
/// lifecycle.runtime_start().unwrap();
/// ```
#[derive(Debug)]
pub struct Lifecycle {
    function: Arc<FunctionInfo>,
    pub(crate) hooks: Vec<Box<dyn Hook>>,
    /// For each phase, the indices (registration order) of the hooks that
    /// take part in it; the others are neither called nor timed there.
    pub(crate) interested: [Box<[usize]>; 9],
    pub(crate) budgets: Budgets,
    pub(crate) timings: Timings,
    sequence: AtomicU64,
    closed: AtomicBool,
}

impl std::fmt::Debug for dyn Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hook({})", self.name())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Registration,
    Reverse,
}

impl Lifecycle {
    /// A lifecycle for `function` with `hooks` in registration order.
    pub fn new(function: FunctionInfo, hooks: Vec<Box<dyn Hook>>, budgets: Budgets) -> Self {
        panic::install_hook();
        let timings = Timings::new(hooks.iter().map(|h| h.name().to_owned()));
        let phases: Vec<_> = hooks.iter().map(|h| h.phases()).collect();
        let interested = Phase::ALL.map(|phase| {
            (0..hooks.len())
                .filter(|&i| phases[i].contains(phase))
                .collect::<Box<[usize]>>()
        });
        Lifecycle {
            function: Arc::new(function),
            hooks,
            interested,
            budgets,
            timings,
            sequence: AtomicU64::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// The function's static facts.
    pub fn function(&self) -> &Arc<FunctionInfo> {
        &self.function
    }

    /// Whether any hook takes part in `phase`.
    pub fn has_hooks_for(&self, phase: Phase) -> bool {
        !self.interested[phase.index()].is_empty()
    }

    /// The phase budgets.
    pub fn budgets(&self) -> &Budgets {
        &self.budgets
    }

    /// The tower layer that runs `BeforeInvoke`, `Invoke` and `AfterInvoke`
    /// around a handler service.
    pub fn layer(self: &Arc<Self>) -> HookLayer {
        HookLayer::new(self.clone())
    }

    /// Starts the context of the next invocation: numbers it (the first is
    /// the cold start) and attaches the function's facts.
    pub fn context(&self, request_id: impl Into<String>) -> ContextBuilder {
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        Context::builder(self.function.clone(), request_id).sequence(sequence)
    }

    /// Invocations started so far.
    pub fn invocations(&self) -> u64 {
        self.sequence.load(Ordering::Relaxed)
    }

    /// A snapshot of every phase's timings.
    pub fn timings(&self) -> TimingsReport {
        self.timings.report()
    }

    /// Each phase's total time so far, indexed by [`Phase::index`]: what
    /// [`timings`](Self::timings) reports per phase, without building the
    /// report (telemetry reads it at every `Freeze`).
    pub fn phase_totals(&self) -> [Duration; 9] {
        self.timings.phase_totals()
    }

    /// Records a named step inside a phase that is not a hook (a preload
    /// initialiser, a plugin load), so its cost shows in the timings.
    pub fn record_step(&self, phase: Phase, name: &str, elapsed: Duration) {
        self.timings.step(phase, name, elapsed);
    }

    /// Runs `RuntimeStart` hooks in registration order. The first failure
    /// stops the phase and becomes an init error naming the hook.
    pub fn runtime_start(&self) -> Result<(), Error> {
        let mut laps = Laps::start(clock::now());
        let mut result = Ok(());
        for &index in self.interested[Phase::RuntimeStart.index()].iter() {
            let hook = &self.hooks[index];
            let outcome = panic::catch(AssertUnwindSafe(|| hook.on_runtime_start(&self.function)));
            laps.lap(&self.timings, index, Phase::RuntimeStart);
            if let Some(message) = failure(outcome) {
                result = Err(Error::init(
                    Phase::RuntimeStart,
                    format!("hook `{}` failed: {message}", hook.name()),
                ));
                break;
            }
        }
        laps.finish(&self.timings, Phase::RuntimeStart);
        result
    }

    /// Runs `FunctionStart` hooks in registration order within the
    /// `function_start` budget. A failure or an overrun is an init error.
    pub async fn function_start(&self) -> Result<(), Error> {
        let budget = self.budgets.function_start;
        self.run_phase(
            Phase::FunctionStart,
            Order::Registration,
            budget,
            true,
            |h| h.on_function_start(&self.function),
        )
        .await
        .map_err(|message| Error::init(Phase::FunctionStart, message))
    }

    /// Runs `AfterResponse` hooks in reverse order; failures are logged.
    pub async fn after_response(&self, context: &Context, outcome: &Outcome) {
        if !self.has_hooks_for(Phase::AfterResponse) {
            return;
        }
        let budget = self.budgets.after_response;
        let _ = self
            .run_phase(Phase::AfterResponse, Order::Reverse, budget, false, |h| {
                h.on_after_response(context, outcome)
            })
            .await;
    }

    /// Runs `Freeze` hooks in reverse order; failures are logged.
    pub async fn freeze(&self) {
        if !self.has_hooks_for(Phase::Freeze) {
            return;
        }
        let budget = self.budgets.freeze;
        let _ = self
            .run_phase(Phase::Freeze, Order::Reverse, budget, false, |h| {
                h.on_freeze()
            })
            .await;
    }

    /// Runs `Close` hooks in reverse order, once per process; a failing hook
    /// is logged and the others still run.
    pub async fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let budget = self.budgets.close;
        let _ = self
            .run_phase(Phase::Close, Order::Reverse, budget, false, |h| {
                h.on_close()
            })
            .await;
    }

    /// Runs `End` hooks in reverse order with the exit code about to be used.
    pub fn end(&self, exit_code: i32) {
        let started = clock::now();
        let ending = Ending {
            exit_code,
            timings: self.timings(),
        };
        let mut clock = started;
        for &index in self.interested[Phase::End.index()].iter().rev() {
            let hook = &self.hooks[index];
            let outcome = panic::catch(AssertUnwindSafe(|| {
                hook.on_end(&ending);
                Ok::<(), BoxError>(())
            }));
            clock = self.timings.lap(index, Phase::End, clock);
            if let Some(message) = failure(outcome) {
                tracing::warn!(hook = hook.name(), "End hook failed: {message}");
            }
        }
        self.timings
            .phase(Phase::End, clock::now().saturating_sub(started));
    }

    /// Runs one asynchronous phase. Futures that are already complete cost
    /// no timer and no await: hooks run in a plain loop until one returns a
    /// pending future, which (and only which) is awaited under what is left
    /// of the phase's budget. With `stop_on_failure` the first failure ends
    /// the phase (init phases); otherwise it is logged and the remaining
    /// hooks still run.
    async fn run_phase<'a>(
        &'a self,
        phase: Phase,
        order: Order,
        budget: Duration,
        stop_on_failure: bool,
        mut call: impl FnMut(&'a dyn Hook) -> HookFuture<'a>,
    ) -> Result<(), String> {
        let mut run = PhaseRun {
            laps: Laps::start(clock::now()),
            step: 0,
            result: Ok(()),
            stop_on_failure,
        };
        // Armed on tokio's clock at the first pending future, with what is
        // left of the budget then: one deadline for the phase's hooks together.
        let mut deadline = None;
        while let Some((index, future)) = self.run_ready(phase, order, &mut call, &mut run) {
            let deadline = *deadline.get_or_insert_with(|| {
                let spent = Duration::from_nanos(clock::now().saturating_sub(run.laps.started()));
                tokio::time::Instant::now() + budget.saturating_sub(spent)
            });
            let guarded = panic::CatchPanic::new(future);
            let outcome = match tokio::time::timeout_at(deadline, guarded).await {
                Ok(Ok(done)) => done.map_err(|e| e.to_string()),
                Ok(Err(payload)) => Err(format!("panicked: {}", panic::describe(&*payload))),
                Err(_) => Err(format!(
                    "did not finish within the {} ms {phase} budget",
                    budget.as_millis()
                )),
            };
            if self.finish_hook(index, phase, outcome, &mut run) {
                break;
            }
        }
        run.laps.finish(&self.timings, phase);
        run.result
    }

    /// Calls the phase's hooks from `run.step` on, in a plain loop, while
    /// their futures are already complete; returns the first pending one
    /// with its hook's index, or `None` once the phase is over.
    fn run_ready<'a>(
        &'a self,
        phase: Phase,
        order: Order,
        call: &mut impl FnMut(&'a dyn Hook) -> HookFuture<'a>,
        run: &mut PhaseRun,
    ) -> Option<(usize, HookFuture<'a>)> {
        let list = &self.interested[phase.index()];
        while run.step < list.len() {
            let index = match order {
                Order::Registration => list[run.step],
                Order::Reverse => list[list.len() - 1 - run.step],
            };
            run.step += 1;
            let hook: &'a dyn Hook = &*self.hooks[index];
            let outcome = match panic::catch(AssertUnwindSafe(|| call(hook))) {
                Err(payload) => Err(format!("panicked: {}", panic::describe(&*payload))),
                Ok(mut future) => match future.take_ready() {
                    Some(ready) => ready.map_err(|e| e.to_string()),
                    None => return Some((index, future)),
                },
            };
            if self.finish_hook(index, phase, outcome, run) {
                break;
            }
        }
        run.step = list.len();
        None
    }

    /// Times hook `index`'s run and notes its failure; true if the phase
    /// stops here.
    fn finish_hook(
        &self,
        index: usize,
        phase: Phase,
        outcome: Result<(), String>,
        run: &mut PhaseRun,
    ) -> bool {
        run.laps.lap(&self.timings, index, phase);
        let Err(message) = outcome else {
            return false;
        };
        let hook = &self.hooks[index];
        let message = format!("{phase} hook `{}` failed: {message}", hook.name());
        tracing::warn!(hook = hook.name(), %phase, "{message}");
        if run.result.is_ok() {
            run.result = Err(message);
        }
        run.stop_on_failure
    }
}

/// Where an asynchronous phase is: its clock, the next hook to call, and
/// its first failure.
struct PhaseRun {
    laps: Laps,
    step: usize,
    result: Result<(), String>,
    stop_on_failure: bool,
}

/// The failure message of a hook call that may have failed or panicked.
pub(crate) fn failure<T>(outcome: std::thread::Result<Result<T, BoxError>>) -> Option<String> {
    match outcome {
        Ok(Ok(_)) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(payload) => Some(format!("panicked: {}", panic::describe(&*payload))),
    }
}
