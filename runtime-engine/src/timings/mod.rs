//! Per-phase and per-hook timings, recorded without locks on the hot path.
//!
//! Every phase's time is measured and every hook's share of it, so the
//! cold-start cost of each hook (its `RuntimeStart` and `FunctionStart` time)
//! is visible, and so is its per-invocation cost.
//!
//! Times are read from the system's monotonic clock, not tokio's: with
//! tokio's clock paused (in tests), they still show real time.

mod report;

pub use report::{PhaseTiming, StepTiming, TimingsReport};

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::phase::Phase;

/// The runs of one phase, or of one hook in one phase: how many, how long
/// in all, the longest.
#[derive(Default, Debug)]
struct RunStats {
    count: AtomicU64,
    total_ns: AtomicU64,
    max_ns: AtomicU64,
}

impl RunStats {
    #[inline]
    fn record(&self, ns: u64) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.total_ns.fetch_add(ns, Ordering::Relaxed);
        // A new maximum is rare: a plain load is cheaper than the
        // compare-exchange loop of `fetch_max` on every run.
        if ns > self.max_ns.load(Ordering::Relaxed) {
            self.max_ns.fetch_max(ns, Ordering::Relaxed);
        }
    }

    fn read(&self) -> RunTotals {
        RunTotals {
            count: self.count.load(Ordering::Relaxed),
            total_ns: self.total_ns.load(Ordering::Relaxed),
            max_ns: self.max_ns.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of one [`RunStats`].
#[derive(Clone, Copy, Default)]
struct RunTotals {
    count: u64,
    total_ns: u64,
    max_ns: u64,
}

impl RunTotals {
    fn total(self) -> Duration {
        Duration::from_nanos(self.total_ns)
    }

    fn max(self) -> Duration {
        Duration::from_nanos(self.max_ns)
    }
}

/// One [`RunStats`] per phase, indexed by [`Phase::index`].
type PhaseStats = [RunStats; Phase::COUNT];

/// The live recorder behind [`Lifecycle::timings`](crate::Lifecycle::timings).
#[derive(Debug)]
pub(crate) struct Timings {
    phases: PhaseStats,
    hooks: Vec<(String, PhaseStats)>,
    /// Named steps inside a phase that are not hooks: preload initialisers,
    /// plugin loads. Rare, so a lock is fine.
    steps: Mutex<Vec<(Phase, String, RunStats)>>,
}

impl Timings {
    /// Timings for hooks called `hook_names` (registration order), every
    /// phase's runs recorded in its own stat.
    pub(crate) fn new(hook_names: impl IntoIterator<Item = String>) -> Self {
        Timings {
            phases: Default::default(),
            hooks: hook_names
                .into_iter()
                .map(|name| (name, Default::default()))
                .collect(),
            steps: Mutex::new(Vec::new()),
        }
    }

    /// Records a run of `phase` that took `ns` nanoseconds.
    #[inline]
    pub(crate) fn phase(&self, phase: Phase, ns: u64) {
        self.phases[phase.index()].record(ns);
    }

    /// Records hook `hook`'s run of `ns` nanoseconds in `phase`.
    #[inline]
    pub(crate) fn hook(&self, hook: usize, phase: Phase, ns: u64) {
        self.hooks[hook].1[phase.index()].record(ns);
    }

    pub(crate) fn step(&self, phase: Phase, name: &str, elapsed: Duration) {
        let ns = elapsed.as_nanos().min(u64::MAX as u128) as u64;
        let mut steps = self.steps.lock().unwrap_or_else(|p| p.into_inner());
        match steps.iter().find(|(p, n, _)| *p == phase && n == name) {
            Some((_, _, stat)) => stat.record(ns),
            None => {
                let stat = RunStats::default();
                stat.record(ns);
                steps.push((phase, name.to_owned(), stat));
            }
        }
    }

    pub(crate) fn phase_totals(&self) -> [Duration; Phase::COUNT] {
        Phase::ALL.map(|phase| self.phases[phase.index()].read().total())
    }

    pub(crate) fn report(&self) -> TimingsReport {
        let steps = self.steps.lock().unwrap_or_else(|p| p.into_inner());
        let phases = Phase::ALL
            .iter()
            .map(|&phase| {
                let reading = self.phases[phase.index()].read();
                let hooks = self
                    .hooks
                    .iter()
                    .map(|(name, stats)| (name.as_str(), &stats[phase.index()]))
                    .chain(
                        steps
                            .iter()
                            .filter(|(p, _, _)| *p == phase)
                            .map(|(_, name, stat)| (name.as_str(), stat)),
                    )
                    .filter_map(|(name, stat)| {
                        let step = stat.read();
                        (step.count > 0).then(|| StepTiming {
                            name: name.to_owned(),
                            count: step.count,
                            total: step.total(),
                            max: step.max(),
                        })
                    })
                    .collect();
                PhaseTiming {
                    phase,
                    count: reading.count,
                    total: reading.total(),
                    max: reading.max(),
                    steps: hooks,
                }
            })
            .collect();
        TimingsReport { phases }
    }
}
