//! [`Schedule`]: when a telemetry layer exports besides `Close`.
//!
//! Where the platform signals each freeze beforehand
//! ([`FunctionInfo::freezes_with_notice`]), the `Freeze` phase exports and
//! nothing else is needed. Where it does not (FC 3.0, plain HTTP, SCF web
//! functions, local), a background task exports when the instance goes
//! idle (a short delay after the last invocation in flight recorded its
//! telemetry) and on an interval while it stays busy, always off the
//! response path. The strict choice also exports on the response path of
//! the last invocation in flight, before its response is returned.
//! `docs/design/telemetry-schedule.md` explains the choice.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use runtime_engine::{Environment, FunctionInfo};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::variables;

/// The variable choosing when telemetry is exported: `auto`, `idle` or `strict`.
pub(crate) const FLUSH_VAR: &str = "LIGHT_RUNTIME_TELEMETRY_FLUSH";
/// The variable for the idle delay, in milliseconds.
pub(crate) const IDLE_DELAY_VAR: &str = "LIGHT_RUNTIME_TELEMETRY_IDLE_DELAY";
/// How long the instance must stay idle before the idle export.
const DEFAULT_IDLE_DELAY: Duration = Duration::from_millis(50);

/// A strict export, run on the response path of the last invocation in flight.
pub(crate) type StrictExport = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The layer's export, shared by the background task and strict exports.
type Export = Arc<dyn Fn() -> StrictExport + Send + Sync>;

/// When a layer exports, as resolved for the platform at `RuntimeStart`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// At each `Freeze` the platform signals (and at `Close`).
    Freeze,
    /// When idle, on the interval, at any `Freeze` and at `Close`.
    Idle,
    /// As `Idle`, and before the response of the last invocation in flight.
    Strict,
}

/// What the variables asked for, before the platform is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    /// `Freeze` where the platform signals it, `Idle` elsewhere.
    Auto,
    /// `Idle` on every platform.
    Idle,
    /// `Strict` on every platform.
    Strict,
}

/// One layer's export schedule: its settings, the invocations in flight,
/// and the lock that keeps its exports one at a time.
pub(crate) struct Schedule {
    choice: Choice,
    idle_delay: Duration,
    interval: Duration,
    trigger: OnceLock<Trigger>,
    in_flight: AtomicUsize,
    /// Told when the last invocation in flight ends, or when a buffer is
    /// filling up (with `urgent` set).
    wake: Notify,
    /// A buffer is filling up: export even though the instance is busy.
    urgent: AtomicBool,
    /// One export at a time: the background task's, a strict one, and the
    /// `Freeze` and `Close` hooks' never overlap.
    exporting: tokio::sync::Mutex<()>,
    /// The background task, stopped at `Close`.
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// The layer's export, set by [`spawn`](Self::spawn).
    export: OnceLock<Export>,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schedule")
            .field("choice", &self.choice)
            .field("idle_delay", &self.idle_delay)
            .field("interval", &self.interval)
            .field("trigger", &self.trigger())
            .field("in_flight", &self.in_flight.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Schedule {
    /// Reads `LIGHT_RUNTIME_TELEMETRY_FLUSH`, `LIGHT_RUNTIME_TELEMETRY_IDLE_DELAY`
    /// and the signal's interval variable (`interval_var`, in milliseconds).
    pub(crate) fn from_environment(
        env: &Environment,
        interval_var: &str,
        default_interval: Duration,
    ) -> Self {
        let choice = match variables::choice(env, FLUSH_VAR, &["auto", "idle", "strict"], "auto") {
            "idle" => Choice::Idle,
            "strict" => Choice::Strict,
            _ => Choice::Auto,
        };
        let positive = |name: &str, default: Duration| {
            let value = variables::millis(env, name, default);
            if value.is_zero() {
                let default_text = format!("{} ms", default.as_millis());
                variables::warn_invalid(
                    name,
                    "0",
                    "a number of milliseconds above 0",
                    &default_text,
                );
                return default;
            }
            value
        };
        Schedule::new(
            choice,
            positive(IDLE_DELAY_VAR, DEFAULT_IDLE_DELAY),
            positive(interval_var, default_interval),
        )
    }

    fn new(choice: Choice, idle_delay: Duration, interval: Duration) -> Self {
        Schedule {
            choice,
            idle_delay,
            interval,
            trigger: OnceLock::new(),
            in_flight: AtomicUsize::new(0),
            wake: Notify::new(),
            urgent: AtomicBool::new(false),
            exporting: tokio::sync::Mutex::new(()),
            task: Mutex::new(None),
            export: OnceLock::new(),
        }
    }

    /// Decides the trigger for `function`'s platform (once; later calls
    /// keep the first answer) and returns it.
    pub(crate) fn resolve(&self, function: &FunctionInfo) -> Trigger {
        *self.trigger.get_or_init(|| match self.choice {
            Choice::Strict => Trigger::Strict,
            Choice::Idle => Trigger::Idle,
            Choice::Auto if function.freezes_with_notice => Trigger::Freeze,
            Choice::Auto => Trigger::Idle,
        })
    }

    /// The trigger, once resolved.
    pub(crate) fn trigger(&self) -> Option<Trigger> {
        self.trigger.get().copied()
    }

    /// Counts an invocation in flight until the returned token ends; `None`
    /// where the schedule does not need to know (exports at `Freeze`).
    pub(crate) fn start(self: &Arc<Self>) -> Option<Busy> {
        match self.trigger() {
            None | Some(Trigger::Freeze) => None,
            Some(_) => {
                self.in_flight.fetch_add(1, Ordering::AcqRel);
                Some(Busy {
                    schedule: self.clone(),
                    counted: true,
                })
            }
        }
    }

    /// Asks for an export soon even if the instance stays busy: a buffer
    /// is filling up.
    pub(crate) fn urge(&self) {
        if matches!(self.trigger(), Some(Trigger::Idle | Trigger::Strict)) {
            self.urgent.store(true, Ordering::Release);
            self.wake.notify_one();
        }
    }

    /// Holds the export lock: no other export of this layer runs meanwhile.
    pub(crate) async fn exporting(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.exporting.lock().await
    }

    /// Runs `export` in the background as the schedule says, until
    /// [`stop`](Self::stop), and keeps it for strict exports. Does nothing
    /// for the `Freeze` trigger; outside a tokio runtime only strict
    /// exports run (`Freeze` and `Close` still export).
    pub(crate) fn spawn<E, F>(self: &Arc<Self>, export: E)
    where
        E: Fn() -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        if matches!(self.trigger(), None | Some(Trigger::Freeze)) {
            return;
        }
        let boxed: Export = Arc::new(move || Box::pin(export()) as StrictExport);
        let export = self.export.get_or_init(|| boxed).clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let schedule = self.clone();
        let task = runtime.spawn(async move { schedule.run(&*export).await });
        let mut slot = self.task.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(previous) = slot.replace(task) {
            previous.abort();
        }
    }

    /// The export to run before the response, one at a time with the others.
    fn strict_export(self: &Arc<Self>) -> Option<StrictExport> {
        let export = self.export.get()?.clone();
        let schedule = self.clone();
        Some(Box::pin(async move {
            let _one_at_a_time = schedule.exporting().await;
            export().await;
        }))
    }

    /// Stops the background task. Call it holding [`exporting`](Self::exporting),
    /// so the task is never stopped halfway through an export.
    pub(crate) fn stop(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }

    /// The background loop: wait for the instance to go idle (or a buffer
    /// to fill, or the interval to pass), then export.
    async fn run(&self, export: &(dyn Fn() -> StrictExport + Send + Sync)) {
        let mut next_interval = Instant::now() + self.interval;
        loop {
            let woken = tokio::select! {
                () = self.wake.notified() => true,
                () = tokio::time::sleep_until(next_interval) => false,
            };
            if woken && !self.urgent.load(Ordering::Acquire) {
                let waited_from = Instant::now();
                tokio::time::sleep(self.idle_delay).await;
                // Still idle: export. Busy again: the end of that work wakes
                // this loop again, unless the wait overran by far, which is
                // what a freeze looks like from inside the process: what
                // was recorded before it goes out now, beside the work
                // that thawed the instance.
                let idle = self.in_flight.load(Ordering::Acquire) == 0;
                let frozen_meanwhile = waited_from.elapsed() > self.idle_delay * 2;
                if !idle && !frozen_meanwhile {
                    continue;
                }
            }
            self.urgent.store(false, Ordering::Release);
            {
                let _one_at_a_time = self.exporting().await;
                export().await;
            }
            next_interval = Instant::now() + self.interval;
        }
    }
}

/// One invocation in flight, from its start until its telemetry is
/// recorded; dropping it without [`end`](Self::end) (a cancelled
/// invocation) ends it too.
#[derive(Debug)]
pub(crate) struct Busy {
    schedule: Arc<Schedule>,
    counted: bool,
}

impl Busy {
    /// Ends the invocation. Returns the export to run before its response
    /// when the choice is strict and this was the last invocation in flight.
    pub(crate) fn end(mut self) -> Option<StrictExport> {
        self.counted = false;
        let last = self.schedule.release();
        if last && self.schedule.trigger() == Some(Trigger::Strict) {
            self.schedule.strict_export()
        } else {
            None
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.counted {
            self.schedule.release();
        }
    }
}

impl Schedule {
    /// One invocation fewer in flight; the last one wakes the loop.
    fn release(&self) -> bool {
        let last = self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1;
        if last {
            self.wake.notify_one();
        }
        last
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
