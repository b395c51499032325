//! [`Lifecycle`]: runs each phase's hooks in order, within budget, timed.
//!
//! Adapters call it at the points their platform's contract maps to each
//! phase; the per-invocation phases around the handler live in
//! [`HookService`](crate::HookService).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::budget::Budgets;
use crate::clock;
use crate::context::{Context, ContextBuilder};
use crate::error::{BoxError, Error};
use crate::function::FunctionInfo;
use crate::hook::Hook;
use crate::invocation::Outcome;
use crate::panic;
use crate::phase::Phase;
use crate::phase_run::{self, Logged, PhaseFuture};
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

impl Ending {
    /// What `End` hooks are told, for code that runs them itself (the
    /// plugin SDK, on a plugin's side of the boundary).
    pub fn new(exit_code: i32, timings: TimingsReport) -> Self {
        Ending { exit_code, timings }
    }
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

impl Lifecycle {
    /// A lifecycle for `function` with `hooks` in registration order.
    pub fn new(function: FunctionInfo, hooks: Vec<Box<dyn Hook>>, budgets: Budgets) -> Self {
        panic::install_hook();
        let phases: Vec<_> = hooks.iter().map(|h| h.phases()).collect();
        let interested = Phase::ALL.map(|phase| {
            (0..hooks.len())
                .filter(|&i| phases[i].contains(phase))
                .collect::<Box<[usize]>>()
        });
        // A phase timed by `Laps` with one hook takes that hook's time. Not
        // `Invoke`, which calls no hook, nor `End`, whose time also covers
        // building the report it hands its hooks.
        let solo = Phase::ALL.map(|phase| match &*interested[phase.index()] {
            [only] if !matches!(phase, Phase::Invoke | Phase::End) => Some(*only),
            _ => None,
        });
        let timings = Timings::new(hooks.iter().map(|h| h.name().to_owned())).with_solo(solo);
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
        PhaseFuture::new(self, phase_run::FunctionStart(&self.function))
            .await
            .map_err(|message| Error::init(Phase::FunctionStart, message))
    }

    /// Runs `AfterResponse` hooks in reverse order; failures are logged.
    /// Hooks whose futures are already complete run in a plain loop on the
    /// first poll, with no timer.
    pub fn after_response<'a>(
        &'a self,
        context: &'a Context,
        outcome: &'a Outcome,
    ) -> impl Future<Output = ()> + Send + 'a {
        Logged::new(self, phase_run::AfterResponse(context, outcome))
    }

    /// Runs `Freeze` hooks in reverse order; failures are logged. Hooks
    /// whose futures are already complete run in a plain loop on the first
    /// poll, with no timer.
    pub fn freeze(&self) -> impl Future<Output = ()> + Send + '_ {
        Logged::new(self, phase_run::Freeze)
    }

    /// Runs `Close` hooks in reverse order, once per process; a failing hook
    /// is logged and the others still run.
    pub async fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let _ = PhaseFuture::new(self, phase_run::Close).await;
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
}

/// The failure message of a hook call that may have failed or panicked.
pub(crate) fn failure<T>(outcome: std::thread::Result<Result<T, BoxError>>) -> Option<String> {
    match outcome {
        Ok(Ok(_)) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(payload) => Some(format!("panicked: {}", panic::describe(&*payload))),
    }
}
