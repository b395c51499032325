//! [`Lifecycle`]: what adapters call at each phase, at the points their
//! platform's contract maps to it.
//!
//! Each method hands its phase to the phase runner, which owns the order,
//! budget, timing and failure rules; the per-invocation phases around the
//! handler are run by [`HookService`](crate::HookService), through the same
//! runner.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::budget::Budgets;
use crate::clock;
use crate::context::{Context, ContextBuilder};
use crate::error::Error;
use crate::function::FunctionInfo;
use crate::hook::Ending;
use crate::hook::Hook;
use crate::invocation::Outcome;
use crate::panic;
use crate::phase::Phase;
use crate::phase_runner::{HookCall, PhaseRunner};
use crate::timings::TimingsReport;

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
    pub(crate) runner: PhaseRunner,
    sequence: AtomicU64,
    closed: AtomicBool,
}

impl Lifecycle {
    /// A lifecycle for `function` with `hooks` in registration order.
    pub fn new(function: FunctionInfo, hooks: Vec<Box<dyn Hook>>, budgets: Budgets) -> Self {
        panic::install_hook();
        Lifecycle {
            function: Arc::new(function),
            runner: PhaseRunner::new(hooks, budgets),
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
        self.runner.has_hooks_for(phase)
    }

    /// The phase budgets.
    pub fn budgets(&self) -> &Budgets {
        self.runner.budgets()
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
        self.runner.timings().report()
    }

    /// Each phase's total time so far, indexed by [`Phase::index`]: what
    /// [`timings`](Self::timings) reports per phase, without building the
    /// report (telemetry reads it at every `Freeze`).
    pub fn phase_totals(&self) -> [Duration; Phase::COUNT] {
        self.runner.timings().phase_totals()
    }

    /// Records a named step inside a phase that is not a hook (a preload
    /// initialiser, a plugin load), so its cost shows in the timings.
    pub fn record_step(&self, phase: Phase, name: &str, elapsed: Duration) {
        self.runner.timings().step(phase, name, elapsed);
    }

    /// Runs `RuntimeStart` hooks in registration order. The first failure
    /// stops the phase and becomes an init error naming the hook.
    pub fn runtime_start(&self) -> Result<(), Error> {
        let function = &*self.function;
        self.runner
            .phase(Phase::RuntimeStart)
            .run_sync(|hook| hook.on_runtime_start(function).into())
            .into_result()
            .map_err(|failure| Error::init(Phase::RuntimeStart, failure.to_string()))
    }

    /// Runs `FunctionStart` hooks in registration order within the
    /// `function_start` budget. A failure or an overrun is an init error.
    pub async fn function_start(&self) -> Result<(), Error> {
        let function = &*self.function;
        self.runner
            .phase(Phase::FunctionStart)
            .run(|hook| hook.on_function_start(function).into())
            .await
            .into_result()
            .map_err(|failure| Error::init(Phase::FunctionStart, failure.to_string()))
    }

    /// Runs `Snapshot` hooks in reverse order within the `snapshot`
    /// budget, before the platform snapshots the instance. A failure or an
    /// overrun is an init error naming the hook: the snapshot is taken in
    /// the platform's init phase.
    pub async fn snapshot(&self) -> Result<(), Error> {
        self.runner
            .phase(Phase::Snapshot)
            .run(|hook| hook.on_snapshot().into())
            .await
            .into_result()
            .map_err(|failure| Error::init(Phase::Snapshot, failure.to_string()))
    }

    /// Runs `Restore` hooks in registration order within the `restore`
    /// budget, once the instance has been started from a snapshot. The
    /// first failure or an overrun stops the phase and is an error naming
    /// the hook ([`Error::init_phase`] is `Restore`), which the adapter
    /// reports as its platform says (AWS: `/runtime/restore/error`).
    ///
    /// First it counts the restore ([`restores`](crate::restores())), which
    /// tells the runtime's parts to re-open connections and re-seed ids.
    pub async fn restore(&self) -> Result<(), Error> {
        crate::restores::restored();
        self.runner
            .phase(Phase::Restore)
            .run(|hook| hook.on_restore().into())
            .await
            .into_result()
            .map_err(|failure| Error::init(Phase::Restore, failure.to_string()))
    }

    /// Runs `AfterResponse` hooks in reverse order; failures are logged.
    /// Hooks whose futures are already complete run in a plain loop on the
    /// first poll, with no timer.
    pub fn after_response<'a>(
        &'a self,
        context: &'a Context,
        outcome: &'a Outcome,
    ) -> impl Future<Output = ()> + Send + 'a {
        let run = self
            .runner
            .phase(Phase::AfterResponse)
            .for_request(context.request_id())
            .run(|hook| hook.on_after_response(context, outcome).into());
        async move {
            run.await;
        }
    }

    /// Runs `Freeze` hooks in reverse order; failures are logged. Hooks
    /// whose futures are already complete run in a plain loop on the first
    /// poll, with no timer.
    pub fn freeze(&self) -> impl Future<Output = ()> + Send + '_ {
        let run = self
            .runner
            .phase(Phase::Freeze)
            .run(|hook| hook.on_freeze().into());
        async move {
            run.await;
        }
    }

    /// Runs `Close` hooks in reverse order, once per process; a failing hook
    /// is logged and the others still run.
    pub async fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.runner
            .phase(Phase::Close)
            .run(|hook| hook.on_close().into())
            .await;
    }

    /// Runs `End` hooks in reverse order with the exit code about to be used.
    /// The phase's time includes building the report the hooks are given.
    pub fn end(&self, exit_code: i32) {
        let started = clock::now();
        let ending = Ending {
            exit_code,
            timings: self.timings(),
        };
        self.runner
            .phase(Phase::End)
            .starting_at(Some(started))
            .run_sync(|hook| {
                hook.on_end(&ending);
                HookCall::from(Ok(()))
            });
    }
}
