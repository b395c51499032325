//! `e2e --full-stack`: the runs and the second table that compare the bare
//! echo with the full-stack echo exporting to a live and to a dead OTLP
//! endpoint, and the three bars.
//!
//! The main table gets the full-stack column (live endpoint, back-to-back
//! pacing, callgrind); this module adds the runs that only this comparison
//! needs: the dead endpoint, and every variant with [`Pacing::Idle`], where
//! the next event is pushed only once the bootstrap is back in `next`, so
//! the turnaround is the response latency alone and not also the previous
//! invocation's `Freeze` work.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::bootstrap::Kind;
use crate::measure::{Pacing, RunSetup, WallClock};
use crate::report::{Column, Report, METRICS};
use crate::telemetry::{Otlp, Received};

/// One way of running a bootstrap in the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// The bootstrap.
    pub kind: Kind,
    /// Its OTLP endpoint (full stack only).
    pub otlp: Option<Otlp>,
    /// How invocations follow each other.
    pub pacing: Pacing,
}

impl Variant {
    /// The key in the JSON and the stem of the log file's name.
    pub fn key(&self) -> String {
        let pacing = match self.pacing {
            Pacing::BackToBack => "back-to-back",
            Pacing::Idle => "idle",
        };
        match self.otlp {
            Some(otlp) => format!(
                "{}.{}-otlp.{pacing}",
                self.kind.name().replace(' ', "-"),
                otlp.name()
            ),
            None => format!("{}.{pacing}", self.kind.name().replace(' ', "-")),
        }
    }

    /// The run's set-up: stdout to `/dev/null` for the full stack (the log
    /// lines are still formatted and written; only the kernel drops them).
    pub fn setup(&self) -> RunSetup {
        RunSetup {
            otlp: self.otlp,
            stdout: self.otlp.map(|_| PathBuf::from("/dev/null")),
            pacing: self.pacing,
            ..RunSetup::default()
        }
    }

    /// Whether the main table already measures it (its column's wall clock).
    pub fn in_main_table(&self) -> bool {
        self.pacing == Pacing::BackToBack
            && matches!(
                (self.kind, self.otlp),
                (Kind::LightRuntime, None) | (Kind::LightFullStack, Some(Otlp::Live))
            )
    }
}

/// The full-stack column of the main table: live endpoint, back-to-back.
pub const MAIN: Variant = Variant {
    kind: Kind::LightFullStack,
    otlp: Some(Otlp::Live),
    pacing: Pacing::BackToBack,
};

const BARE: Kind = Kind::LightRuntime;
const FULL: Kind = Kind::LightFullStack;

/// The comparison's variants, by pacing then bare, live, dead.
pub const VARIANTS: [Variant; 6] = [
    Variant {
        kind: BARE,
        otlp: None,
        pacing: Pacing::BackToBack,
    },
    MAIN,
    Variant {
        kind: FULL,
        otlp: Some(Otlp::Dead),
        pacing: Pacing::BackToBack,
    },
    Variant {
        kind: BARE,
        otlp: None,
        pacing: Pacing::Idle,
    },
    Variant {
        kind: FULL,
        otlp: Some(Otlp::Live),
        pacing: Pacing::Idle,
    },
    Variant {
        kind: FULL,
        otlp: Some(Otlp::Dead),
        pacing: Pacing::Idle,
    },
];

/// What was measured for one variant.
#[derive(Debug, Clone)]
pub struct VariantRun {
    /// Which.
    pub variant: Variant,
    /// The fastest of the rounds (by throughput), as in the main table.
    pub wall_clock: Option<WallClock>,
    /// What went wrong.
    pub errors: Vec<String>,
}

/// The runs of every variant.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// In the order of [`VARIANTS`].
    pub runs: Vec<VariantRun>,
    /// Instructions of a callgrind run with no invocation (start to the
    /// first `next`, then SIGTERM and exit, with the `Close` export for the
    /// full stack), per bootstrap: init measured directly, without the
    /// noise that the per-invocation figure's run-to-run variation puts
    /// into the main table's "init instructions" (short run less SHORT
    /// times the per-invocation figure).
    pub init_instructions: Vec<(Kind, Result<u64, String>)>,
}

impl Default for Comparison {
    fn default() -> Self {
        Comparison {
            runs: VARIANTS
                .iter()
                .map(|&variant| VariantRun {
                    variant,
                    wall_clock: None,
                    errors: Vec::new(),
                })
                .collect(),
            init_instructions: Vec::new(),
        }
    }
}

/// Keeps the faster of `kept` and `run` (by throughput), with the shorter
/// init and the longest turnaround of all rounds: a stall (a dead
/// endpoint's export waiting for its time limit) in any round shows.
pub fn keep_fastest(kept: &mut Option<WallClock>, run: WallClock) {
    if let Some(kept) = kept {
        let init = kept.init.min(run.init);
        let max = kept.max.max(run.max);
        if run.throughput > kept.throughput {
            *kept = run;
        }
        kept.init = init;
        kept.max = max;
    } else {
        *kept = Some(run);
    }
}

/// A row of the comparison table.
struct Row {
    key: &'static str,
    label: &'static str,
    decimals: usize,
    value: fn(&WallClock) -> f64,
}

const ROWS: [Row; 5] = [
    Row {
        key: "latency_p50_us",
        label: "turnaround p50 (us)",
        decimals: 1,
        value: |w| w.p50.as_secs_f64() * 1e6,
    },
    Row {
        key: "latency_p99_us",
        label: "turnaround p99 (us)",
        decimals: 1,
        value: |w| w.p99.as_secs_f64() * 1e6,
    },
    Row {
        key: "latency_max_us",
        label: "turnaround max (us)",
        decimals: 0,
        value: |w| w.max.as_secs_f64() * 1e6,
    },
    Row {
        key: "throughput_per_s",
        label: "throughput (invocations/s)",
        decimals: 0,
        value: |w| w.throughput,
    },
    Row {
        key: "init_wall_ms",
        label: "init: spawn to first next (ms)",
        decimals: 2,
        value: |w| w.init.as_secs_f64() * 1e3,
    },
];

impl Comparison {
    /// Copies the two variants the main table measured from its columns.
    pub fn take_from_main(&mut self, columns: &[Column]) {
        for run in &mut self.runs {
            if run.variant.in_main_table() {
                if let Some(column) = columns.iter().find(|c| c.kind == run.variant.kind) {
                    run.wall_clock = column.wall_clock.clone();
                }
            }
        }
    }

    fn run(&self, kind: Kind, otlp: Option<Otlp>, pacing: Pacing) -> Option<&WallClock> {
        self.runs
            .iter()
            .find(|r| r.variant == Variant { kind, otlp, pacing })?
            .wall_clock
            .as_ref()
    }

    fn value(&self, row: &Row, otlp: Option<Otlp>, pacing: Pacing) -> Option<f64> {
        let kind = if otlp.is_some() { FULL } else { BARE };
        self.run(kind, otlp, pacing).map(row.value)
    }

    /// The table: per pacing, a row per figure; columns bare, live, dead,
    /// then dead/live and dead/bare.
    pub fn table(&self, rounds: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "OTLP endpoint and response latency (turnaround = push to answer recorded by the emulator; \
             fastest of {rounds} round(s), max and init over all rounds)"
        );
        let _ = writeln!(
            out,
            "{:<14}{:<31}{:>15}{:>17}{:>17}{:>11}{:>11}",
            "pacing",
            "metric",
            "light-runtime",
            "full, live OTLP",
            "full, dead OTLP",
            "dead/live",
            "dead/bare"
        );
        for (pacing, name) in [(Pacing::BackToBack, "back-to-back"), (Pacing::Idle, "idle")] {
            for (i, row) in ROWS.iter().enumerate() {
                let cell = |v: Option<f64>| {
                    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.*}", row.decimals))
                };
                let bare = self.value(row, None, pacing);
                let live = self.value(row, Some(Otlp::Live), pacing);
                let dead = self.value(row, Some(Otlp::Dead), pacing);
                let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
                    (Some(a), Some(b)) if b != 0.0 => format!("{:.2}x", a / b),
                    _ => "-".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "{:<14}{:<31}{:>15}{:>17}{:>17}{:>11}{:>11}",
                    if i == 0 { name } else { "" },
                    row.label,
                    cell(bare),
                    cell(live),
                    cell(dead),
                    ratio(dead, live),
                    ratio(dead, bare),
                );
            }
        }
        out
    }

    /// The directly measured init instructions of `kind`, if measured.
    pub fn init_of(&self, kind: Kind) -> Option<u64> {
        self.init_instructions
            .iter()
            .find(|(k, _)| *k == kind)?
            .1
            .as_ref()
            .ok()
            .copied()
    }

    /// One line per directly measured init, with full stack / bare.
    pub fn init_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (kind, measured) in &self.init_instructions {
            lines.push(match measured {
                Ok(n) => format!("init instructions, no invocation (incl. exit), {kind}: {n}"),
                Err(error) => format!("init instructions, no invocation, {kind}: failed: {error}"),
            });
        }
        if let (Some(full), Some(bare)) = (self.init_of(FULL), self.init_of(BARE)) {
            lines.push(format!(
                "init instructions, no invocation: full/light {:.2}x",
                full as f64 / bare as f64
            ));
        }
        lines
    }

    /// Notes on what each endpoint received.
    pub fn notes(&self, warmup: usize) -> Vec<String> {
        let mut notes = Vec::new();
        for run in &self.runs {
            let Some(wall_clock) = &run.wall_clock else {
                continue;
            };
            let Some(received) = &wall_clock.received else {
                continue;
            };
            let invocations = warmup + wall_clock.invocations;
            notes.push(format!(
                "{}: {}",
                run.variant.key(),
                received.note(invocations)
            ));
        }
        notes
    }

    /// The same figures as JSON.
    pub fn json(&self) -> Value {
        let runs: serde_json::Map<String, Value> = self
            .runs
            .iter()
            .map(|run| {
                let figures: serde_json::Map<String, Value> = ROWS
                    .iter()
                    .map(|row| {
                        (
                            row.key.to_owned(),
                            json!(run.wall_clock.as_ref().map(row.value)),
                        )
                    })
                    .collect();
                let received = run
                    .wall_clock
                    .as_ref()
                    .and_then(|w| w.received.as_ref())
                    .map(Received::json);
                (
                    run.variant.key(),
                    json!({ "figures": figures, "otlp_received": received, "errors": run.errors }),
                )
            })
            .collect();
        let init: serde_json::Map<String, Value> = self
            .init_instructions
            .iter()
            .map(|(kind, measured)| {
                let value = match measured {
                    Ok(n) => json!(n),
                    Err(error) => json!({ "error": error }),
                };
                (kind.name().to_owned(), value)
            })
            .collect();
        json!({ "runs": runs, "init_instructions_no_invocation": init })
    }

    /// Whether any run failed.
    pub fn failed(&self) -> bool {
        self.runs.iter().any(|r| !r.errors.is_empty())
            || self.init_instructions.iter().any(|(_, m)| m.is_err())
    }

    /// The errors of every run.
    pub fn errors(&self) -> impl Iterator<Item = String> + '_ {
        self.runs.iter().flat_map(|run| {
            run.errors
                .iter()
                .map(move |e| format!("{}: {e}", run.variant.key()))
        })
    }
}

/// One of the bars, checked.
#[derive(Debug, Clone)]
pub struct Bar {
    /// What it says.
    pub statement: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measured.
    pub met: Option<bool>,
}

/// The three bars, from the main report and the comparison.
pub fn bars(report: &Report, comparison: &Comparison) -> Vec<Bar> {
    let metric = |key: &str| METRICS.iter().find(|m| m.key == key);
    let value = |key: &str, kind: Kind| {
        let metric = metric(key)?;
        let column = report.columns.iter().find(|c| c.kind == kind)?;
        (metric.value)(column)
    };
    let mut bars = Vec::new();

    let full = value("instructions_per_invocation", FULL);
    let reference = value("instructions_per_invocation", Kind::LambdaRuntime);
    bars.push(Bar {
        statement: format!(
            "full stack instructions / invocation ({}) <= lambda_runtime's bare echo ({})",
            shown(full, 0),
            shown(reference, 0)
        ),
        met: full.zip(reference).map(|(f, r)| f <= r),
    });

    // Init: measured directly (a run with no invocation) when it was,
    // else the main table's figure.
    let direct = comparison
        .init_of(FULL)
        .zip(comparison.init_of(BARE))
        .map(|(f, b)| (f as f64, b as f64));
    let (how, full, bare) = match direct {
        Some((f, b)) => ("measured with no invocation", Some(f), Some(b)),
        None => (
            "short run less its invocations",
            value("init_instructions", FULL),
            value("init_instructions", BARE),
        ),
    };
    bars.push(Bar {
        statement: format!(
            "full stack init instructions ({}) <= 2 x bare light-runtime's ({} x 2 = {}); incl. exit, {how}",
            shown(full, 0),
            shown(bare, 0),
            shown(bare.map(|b| 2.0 * b), 0)
        ),
        met: full.zip(bare).map(|(f, b)| f <= 2.0 * b),
    });

    // Response latency: idle pacing, so that each turnaround is the
    // response path alone. "Adds nothing" within the run-to-run noise of a
    // shared machine: at most 10 % over the live endpoint's.
    let p = |row: usize, otlp| comparison.value(&ROWS[row], Some(otlp), Pacing::Idle);
    let (live50, dead50, live99, dead99) = (
        p(0, Otlp::Live),
        p(0, Otlp::Dead),
        p(1, Otlp::Live),
        p(1, Otlp::Dead),
    );
    let met = match (live50, dead50, live99, dead99) {
        (Some(l50), Some(d50), Some(l99), Some(d99)) => Some(d50 <= l50 * 1.1 && d99 <= l99 * 1.1),
        _ => None,
    };
    bars.push(Bar {
        statement: format!(
            "a dead OTLP endpoint adds nothing to response latency (idle pacing, dead vs live: \
             p50 {} vs {} us, p99 {} vs {} us; within 10 %)",
            shown(dead50, 1),
            shown(live50, 1),
            shown(dead99, 1),
            shown(live99, 1)
        ),
        met,
    });

    // The cold start: the Freeze before the first `next` exports the init
    // metrics, so a dead endpoint can delay the first invocation. Within
    // 10 % (or 1 ms) of the live endpoint's init wall time.
    let init = |otlp| {
        comparison
            .run(FULL, Some(otlp), Pacing::Idle)
            .map(|w| w.init.as_secs_f64() * 1e3)
    };
    let (live, dead) = (init(Otlp::Live), init(Otlp::Dead));
    bars.push(Bar {
        statement: format!(
            "a dead OTLP endpoint adds nothing to the cold start (spawn to first `next`, dead vs live: {} vs {} ms; \
             an event waiting at init waits that long)",
            shown(dead, 2),
            shown(live, 2)
        ),
        met: live.zip(dead).map(|(l, d)| d <= (l * 1.1).max(l + 1.0)),
    });
    bars
}

fn shown(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// The bars as JSON.
pub fn bars_json(bars: &[Bar]) -> Value {
    Value::Array(
        bars.iter()
            .map(|bar| json!({ "bar": bar.statement, "met": bar.met }))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bootstrap::Exit;
    use std::time::Duration;

    fn wall_clock(p50_us: u64) -> WallClock {
        WallClock {
            invocations: 10,
            throughput: 1000.0,
            p50: Duration::from_micros(p50_us),
            p99: Duration::from_micros(2 * p50_us),
            max: Duration::from_micros(3 * p50_us),
            init: Duration::from_millis(1),
            peak_rss_kib: None,
            exit: Exit::Code(0),
            received: None,
            cpu: Err("not read in this test".to_owned()),
        }
    }

    #[test]
    fn the_table_compares_dead_with_live_and_bare() {
        let mut comparison = Comparison::default();
        for run in &mut comparison.runs {
            let p50 = match run.variant.otlp {
                None => 20,
                Some(Otlp::Live) => 40,
                Some(Otlp::Dead) => 44,
            };
            run.wall_clock = Some(wall_clock(p50));
        }
        let table = comparison.table(1);
        assert!(
            table.contains("1.10x") && table.contains("2.20x"),
            "{table}"
        );
        let json = comparison.json();
        assert_eq!(
            json["runs"]["light-full-stack.dead-otlp.idle"]["figures"]["latency_p50_us"],
            44.0
        );
        assert_eq!(VARIANTS.iter().filter(|v| v.in_main_table()).count(), 2);
    }
}
