//! [`TimingsReport`]: a snapshot of every phase's timings, and its table.

use std::fmt;
use std::time::Duration;

use crate::phase::Phase;

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
