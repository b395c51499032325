//! Per-phase and per-hook timings, recorded without locks on the hot path.
//!
//! Every phase's time is measured and every hook's share of it, so the
//! cold-start cost of each hook (its `RuntimeStart` and `FunctionStart` time)
//! is visible, and so is its per-invocation cost.
//!
//! Times are read from the system's monotonic clock, not tokio's: with
//! tokio's clock paused (in tests), they still show real time.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::clock;
use crate::phase::Phase;

#[derive(Default, Debug)]
struct Stat {
    count: AtomicU64,
    total_ns: AtomicU64,
    max_ns: AtomicU64,
}

impl Stat {
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

    fn read(&self) -> Reading {
        Reading {
            count: self.count.load(Ordering::Relaxed),
            total_ns: self.total_ns.load(Ordering::Relaxed),
            max_ns: self.max_ns.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of one [`Stat`].
#[derive(Clone, Copy, Default)]
struct Reading {
    count: u64,
    total_ns: u64,
    max_ns: u64,
}

impl Reading {
    /// The figures of the runs of both readings together (disjoint runs).
    fn and(self, other: Reading) -> Reading {
        Reading {
            count: self.count + other.count,
            total_ns: self.total_ns + other.total_ns,
            max_ns: self.max_ns.max(other.max_ns),
        }
    }

    fn total(self) -> Duration {
        Duration::from_nanos(self.total_ns)
    }

    fn max(self) -> Duration {
        Duration::from_nanos(self.max_ns)
    }
}

type PhaseStats = [Stat; 9];

/// The live recorder behind [`Lifecycle::timings`](crate::Lifecycle::timings).
#[derive(Debug)]
pub(crate) struct Timings {
    phases: PhaseStats,
    hooks: Vec<(String, PhaseStats)>,
    /// Per phase, the one hook it times, if it has exactly one and its time
    /// is the phase's (see [`Laps`]). A run of that phase in which the hook
    /// ran is recorded once, in the hook's stat, which the phase's figures
    /// then include; `phases` keeps only the runs in which it did not (an
    /// `AfterInvoke` whose hook a `BeforeInvoke` short-circuit left out).
    /// One stat per run instead of two, on the per-invocation path.
    solo: [Option<usize>; 9],
    /// Named steps inside a phase that are not hooks: preload initialisers,
    /// plugin loads. Rare, so a lock is fine.
    steps: Mutex<Vec<(Phase, String, Stat)>>,
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
            solo: [None; 9],
            steps: Mutex::new(Vec::new()),
        }
    }

    /// These timings with `solo` as described on the field.
    pub(crate) fn with_solo(self, solo: [Option<usize>; 9]) -> Self {
        Timings { solo, ..self }
    }

    /// Records a run of `phase` that took `ns` nanoseconds.
    #[inline]
    pub(crate) fn phase(&self, phase: Phase, ns: u64) {
        self.phases[phase.index()].record(ns);
    }

    /// Records hook `hook`'s run in `phase`, which began at `since`
    /// ([`clock::now`] nanoseconds), and returns now: the next hook's start.
    /// One clock read per hook.
    pub(crate) fn lap(&self, hook: usize, phase: Phase, since: u64) -> u64 {
        let now = clock::now();
        self.hook(hook, phase, now.saturating_sub(since));
        now
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
                let stat = Stat::default();
                stat.record(ns);
                steps.push((phase, name.to_owned(), stat));
            }
        }
    }

    /// `phase`'s figures: its own stat plus, for a solo phase, its hook's.
    fn read_phase(&self, phase: Phase) -> Reading {
        let own = self.phases[phase.index()].read();
        match self.solo[phase.index()] {
            Some(hook) => own.and(self.hooks[hook].1[phase.index()].read()),
            None => own,
        }
    }

    pub(crate) fn phase_totals(&self) -> [Duration; 9] {
        Phase::ALL.map(|phase| self.read_phase(phase).total())
    }

    pub(crate) fn report(&self) -> TimingsReport {
        let steps = self.steps.lock().unwrap_or_else(|p| p.into_inner());
        let phases = Phase::ALL
            .iter()
            .map(|&phase| {
                let reading = self.read_phase(phase);
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

/// The clock of one phase whose hooks run back to back: one clock read per
/// hook boundary, each hook's end being the next one's start. The phase's
/// time runs from its start to its last hook's end, so it is the sum of
/// its hooks' (and with one hook, that hook's: see `Timings::solo`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Laps {
    started: u64,
    clock: u64,
    lapped: bool,
}

impl Laps {
    /// A phase that began at `started` ([`clock::now`] nanoseconds).
    #[inline]
    pub(crate) fn start(started: u64) -> Self {
        Laps {
            started,
            clock: started,
            lapped: false,
        }
    }

    /// When the phase began.
    pub(crate) fn started(&self) -> u64 {
        self.started
    }

    /// Records hook `hook`'s run in `phase`, which ends now; returns now,
    /// where the next hook (or step) starts.
    #[inline]
    pub(crate) fn lap(&mut self, timings: &Timings, hook: usize, phase: Phase) -> u64 {
        let now = clock::now();
        timings.hook(hook, phase, now.saturating_sub(self.clock));
        self.clock = now;
        self.lapped = true;
        now
    }

    /// Records the phase's time, up to the end of its last hook, and returns
    /// that end.
    #[inline]
    pub(crate) fn finish(self, timings: &Timings, phase: Phase) -> u64 {
        // A solo phase whose hook ran is already recorded, in the hook's stat.
        if !(self.lapped && timings.solo[phase.index()].is_some()) {
            timings.phase(phase, self.clock - self.started);
        }
        self.clock
    }
}

/// A snapshot of every phase's timings. `Display` prints a table.
#[derive(Clone, Debug)]
pub struct TimingsReport {
    /// One entry per phase, in lifecycle order.
    pub phases: Vec<PhaseTiming>,
}

impl TimingsReport {
    /// The entry for `phase`.
    pub fn phase(&self, phase: Phase) -> &PhaseTiming {
        &self.phases[phase.index()]
    }

    /// Time spent before the first invocation: `RuntimeStart` plus `FunctionStart`.
    pub fn init_duration(&self) -> Duration {
        self.phase(Phase::RuntimeStart).total + self.phase(Phase::FunctionStart).total
    }
}

/// The timings of one phase.
#[derive(Clone, Debug)]
pub struct PhaseTiming {
    /// Which phase.
    pub phase: Phase,
    /// How many times it ran. An `AfterInvoke` whose hooks a `BeforeInvoke`
    /// short-circuit all left out still counts, as a run of zero time.
    pub count: u64,
    /// Total time over all runs.
    pub total: Duration,
    /// Longest single run.
    pub max: Duration,
    /// Each hook's (and each named step's) share, in registration order;
    /// only those that ran in this phase.
    pub steps: Vec<StepTiming>,
}

impl PhaseTiming {
    /// The mean duration of one run; zero if it never ran.
    pub fn mean(&self) -> Duration {
        if self.count == 0 {
            Duration::ZERO
        } else {
            self.total / self.count as u32
        }
    }

    /// The timing of the hook or step called `name`.
    pub fn step(&self, name: &str) -> Option<&StepTiming> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// The timing of one hook or named step within a phase.
#[derive(Clone, Debug)]
pub struct StepTiming {
    /// The hook's name, or the step's (e.g. a preload initialiser).
    pub name: String,
    /// How many times it ran.
    pub count: u64,
    /// Total time over all runs.
    pub total: Duration,
    /// Longest single run.
    pub max: Duration,
}

impl fmt::Display for TimingsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<22} {:>7} {:>11} {:>11} {:>11}",
            "phase / hook", "runs", "total", "mean", "max"
        )?;
        for phase in &self.phases {
            if phase.count == 0 {
                continue;
            }
            writeln!(
                f,
                "{:<22} {:>7} {:>11} {:>11} {:>11}",
                phase.phase.name(),
                phase.count,
                Millis(phase.total),
                Millis(phase.mean()),
                Millis(phase.max)
            )?;
            for step in &phase.steps {
                let mean = step.total / step.count.max(1) as u32;
                writeln!(
                    f,
                    "  {:<20} {:>7} {:>11} {:>11} {:>11}",
                    step.name,
                    step.count,
                    Millis(step.total),
                    Millis(mean),
                    Millis(step.max)
                )?;
            }
        }
        Ok(())
    }
}

struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:.3} ms", self.0.as_secs_f64() * 1000.0);
        f.pad(&text)
    }
}
