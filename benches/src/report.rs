//! The [`Report`]: one [`Column`] per bootstrap, one [`Metric`] per row,
//! printed as a table with the ratios light-runtime / peer and written as JSON.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::bootstrap::Kind;
use crate::measure::{CallgrindRun, WallClock};

/// Everything measured for one bootstrap.
#[derive(Debug, Clone)]
pub struct Column {
    /// Which bootstrap.
    pub kind: Kind,
    /// The executable's size on disk, in bytes.
    pub binary_size: Option<u64>,
    /// The wall-clock run kept: the fastest of the rounds, with the shortest
    /// init time of all rounds.
    pub wall_clock: Option<WallClock>,
    /// The short and the long run under callgrind.
    pub callgrind: Option<(CallgrindRun, CallgrindRun)>,
    /// What went wrong, if anything; the figures it cost are left empty.
    pub errors: Vec<String>,
}

impl Column {
    /// An empty column for `kind`.
    pub fn new(kind: Kind) -> Self {
        Column {
            kind,
            binary_size: None,
            wall_clock: None,
            callgrind: None,
            errors: Vec::new(),
        }
    }

    /// Instructions per invocation: the difference of the long and the short
    /// run over the difference of their invocation counts, so init and exit
    /// cancel out.
    pub fn instructions_per_invocation(&self) -> Option<f64> {
        let (short, long) = self.callgrind.as_ref()?;
        let invocations = long
            .invocations
            .checked_sub(short.invocations)
            .filter(|&n| n > 0)?;
        Some((long.instructions as f64 - short.instructions as f64) / invocations as f64)
    }

    /// Instructions outside the invocations: the short run less its
    /// invocations at the per-invocation rate. It includes init, the first
    /// `next`, and the exit after SIGTERM.
    pub fn init_instructions(&self) -> Option<f64> {
        let (short, _) = self.callgrind.as_ref()?;
        Some(
            short.instructions as f64
                - short.invocations as f64 * self.instructions_per_invocation()?,
        )
    }
}

/// One row of the report.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// The key in the JSON.
    pub key: &'static str,
    /// The row label in the table.
    pub label: &'static str,
    /// Decimals printed in the table.
    pub decimals: usize,
    /// Whether it needs valgrind.
    pub needs_valgrind: bool,
    /// Reads the figure from a column.
    pub value: fn(&Column) -> Option<f64>,
}

/// The rows, in table order.
pub const METRICS: [Metric; 8] = [
    Metric {
        key: "throughput_per_s",
        label: "throughput (invocations/s)",
        decimals: 0,
        needs_valgrind: false,
        value: |c| Some(c.wall_clock.as_ref()?.throughput),
    },
    Metric {
        key: "latency_p50_us",
        label: "latency p50 (us)",
        decimals: 1,
        needs_valgrind: false,
        value: |c| Some(c.wall_clock.as_ref()?.p50.as_secs_f64() * 1e6),
    },
    Metric {
        key: "latency_p99_us",
        label: "latency p99 (us)",
        decimals: 1,
        needs_valgrind: false,
        value: |c| Some(c.wall_clock.as_ref()?.p99.as_secs_f64() * 1e6),
    },
    Metric {
        key: "instructions_per_invocation",
        label: "instructions / invocation",
        decimals: 0,
        needs_valgrind: true,
        value: Column::instructions_per_invocation,
    },
    Metric {
        key: "init_instructions",
        label: "init instructions (incl. exit)",
        decimals: 0,
        needs_valgrind: true,
        value: Column::init_instructions,
    },
    Metric {
        key: "init_wall_ms",
        label: "init wall time (ms)",
        decimals: 2,
        needs_valgrind: false,
        value: |c| Some(c.wall_clock.as_ref()?.init.as_secs_f64() * 1e3),
    },
    Metric {
        key: "peak_rss_kib",
        label: "peak RSS (KiB)",
        decimals: 0,
        needs_valgrind: false,
        value: |c| Some(c.wall_clock.as_ref()?.peak_rss_kib? as f64),
    },
    Metric {
        key: "binary_size_kib",
        label: "binary size (KiB)",
        decimals: 0,
        needs_valgrind: false,
        value: |c| Some(c.binary_size? as f64 / 1024.0),
    },
];

/// The whole comparison.
#[derive(Debug, Clone)]
pub struct Report {
    /// The one CPU the harness and the bootstraps ran on, if pinned.
    pub cpu: Option<usize>,
    /// Timed invocations per wall-clock run.
    pub invocations: usize,
    /// Wall-clock rounds per bootstrap; the fastest is kept.
    pub rounds: usize,
    /// The event every invocation got.
    pub payload: String,
    /// `valgrind --version`, `None` when the callgrind rows were skipped.
    pub valgrind: Option<String>,
    /// Invocations of the short and the long callgrind run.
    pub callgrind_lengths: (usize, usize),
    /// Why the callgrind rows are missing, if they are.
    pub callgrind_skipped: Option<String>,
    /// One per bootstrap, light-runtime first.
    pub columns: Vec<Column>,
}

impl Report {
    fn column(&self, kind: Kind) -> Option<&Column> {
        self.columns.iter().find(|c| c.kind == kind)
    }

    /// `metric` of light-runtime over `metric` of `peer`.
    pub fn ratio(&self, metric: &Metric, peer: Kind) -> Option<f64> {
        self.ratio_between(metric, Kind::LightRuntime, peer)
    }

    /// `metric` of `numerator` over `metric` of `denominator`.
    pub fn ratio_between(
        &self,
        metric: &Metric,
        numerator: Kind,
        denominator: Kind,
    ) -> Option<f64> {
        let top = (metric.value)(self.column(numerator)?)?;
        let bottom = (metric.value)(self.column(denominator)?)?;
        (bottom != 0.0).then(|| top / bottom)
    }

    /// The extra ratio columns: with the full-stack column (`e2e
    /// --full-stack`), full stack over bare light-runtime and over
    /// `lambda_runtime`; none otherwise, so the table is unchanged.
    fn extra_ratios(&self) -> Vec<(&'static str, Kind, Kind)> {
        if self.column(Kind::LightFullStack).is_none() {
            return Vec::new();
        }
        vec![
            ("full/light", Kind::LightFullStack, Kind::LightRuntime),
            (
                "full/lambda_runtime",
                Kind::LightFullStack,
                Kind::LambdaRuntime,
            ),
        ]
    }

    fn metrics(&self) -> impl Iterator<Item = &'static Metric> + '_ {
        METRICS
            .iter()
            .filter(|metric| !metric.needs_valgrind || self.valgrind.is_some())
    }

    /// The table: one row per metric; a column per bootstrap, then the ratios.
    pub fn table(&self) -> String {
        let mut out = String::new();
        // 16 wide, or wider for a longer name ("light full stack").
        let width = |column: &Column| column.kind.name().len().max(14) + 2;
        let extra = self.extra_ratios();
        let _ = write!(out, "{:<32}", "metric");
        for column in &self.columns {
            let _ = write!(out, "{:>w$}", column.kind.name(), w = width(column));
        }
        let _ = write!(out, "{:>22}{:>13}", "light/lambda_runtime", "light/floor");
        for (name, _, _) in &extra {
            let _ = write!(out, "{:>w$}", name, w = name.len() + 2);
        }
        out.push('\n');
        for metric in self.metrics() {
            let _ = write!(out, "{:<32}", metric.label);
            for column in &self.columns {
                let cell = (metric.value)(column)
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.*}", metric.decimals));
                let _ = write!(out, "{cell:>w$}", w = width(column));
            }
            for (peer, width) in [(Kind::LambdaRuntime, 22), (Kind::Floor, 13)] {
                let cell = self
                    .ratio(metric, peer)
                    .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x"));
                let _ = write!(out, "{cell:>width$}");
            }
            for (name, numerator, denominator) in &extra {
                let cell = self
                    .ratio_between(metric, *numerator, *denominator)
                    .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x"));
                let _ = write!(out, "{cell:>w$}", w = name.len() + 2);
            }
            out.push('\n');
        }
        out
    }

    /// The same figures as JSON.
    pub fn json(&self) -> Value {
        let mut metrics = Map::new();
        for metric in self.metrics() {
            let mut row = Map::new();
            row.insert("label".into(), metric.label.into());
            for column in &self.columns {
                row.insert(column.kind.name().into(), json!((metric.value)(column)));
            }
            row.insert(
                "light/lambda_runtime".into(),
                json!(self.ratio(metric, Kind::LambdaRuntime)),
            );
            row.insert("light/floor".into(), json!(self.ratio(metric, Kind::Floor)));
            for (name, numerator, denominator) in self.extra_ratios() {
                row.insert(
                    name.into(),
                    json!(self.ratio_between(metric, numerator, denominator)),
                );
            }
            metrics.insert(metric.key.into(), Value::Object(row));
        }
        let bootstraps: Map<String, Value> = self
            .columns
            .iter()
            .map(|column| {
                let callgrind = column.callgrind.as_ref().map(|(short, long)| {
                    json!({
                        "short": { "invocations": short.invocations, "instructions": short.instructions,
                                   "exit": format!("{:?}", short.exit), "out_file": short.out_file },
                        "long": { "invocations": long.invocations, "instructions": long.instructions,
                                  "exit": format!("{:?}", long.exit), "out_file": long.out_file },
                    })
                });
                let mut entry = json!({
                    "binary_size_bytes": column.binary_size,
                    "exit_after_sigterm": column.wall_clock.as_ref().map(|w| format!("{:?}", w.exit)),
                    "callgrind": callgrind,
                    "errors": column.errors,
                });
                // Only the full-stack column has an OTLP endpoint.
                let received = column.wall_clock.as_ref().and_then(|w| w.received.as_ref());
                if let Some(received) = received {
                    entry["otlp_received"] = received.json();
                }
                (column.kind.name().to_owned(), entry)
            })
            .collect();
        json!({
            "cpu": self.cpu,
            "invocations": self.invocations,
            "rounds": self.rounds,
            "payload": self.payload,
            "valgrind": self.valgrind,
            "callgrind_invocations": { "short": self.callgrind_lengths.0, "long": self.callgrind_lengths.1 },
            "callgrind_skipped": self.callgrind_skipped,
            "metrics": metrics,
            "bootstraps": bootstraps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let mut light = Column::new(Kind::LightRuntime);
        light.binary_size = Some(2048);
        let mut reference = Column::new(Kind::LambdaRuntime);
        reference.binary_size = Some(4096);
        Report {
            cpu: None,
            invocations: 1,
            rounds: 1,
            payload: "{}".into(),
            valgrind: None,
            callgrind_lengths: (200, 1200),
            callgrind_skipped: Some("valgrind is not installed".into()),
            columns: vec![light, reference, Column::new(Kind::Floor)],
        }
    }

    #[test]
    fn ratios_are_light_over_peer_and_valgrind_rows_are_skipped() {
        let report = report();
        let size = METRICS.iter().find(|m| m.key == "binary_size_kib").unwrap();
        assert_eq!(report.ratio(size, Kind::LambdaRuntime), Some(0.5));
        assert_eq!(report.ratio(size, Kind::Floor), None);
        let table = report.table();
        assert!(table.contains("0.50x"));
        assert!(!table.contains("instructions"));
        let json = report.json();
        assert_eq!(
            json["metrics"]["binary_size_kib"]["light/lambda_runtime"],
            0.5
        );
        assert!(json["metrics"].get("instructions_per_invocation").is_none());
        assert!(json["metrics"]["binary_size_kib"]
            .get("full/light")
            .is_none());
        assert!(!table.contains("full/light"));
    }

    #[test]
    fn the_full_stack_column_adds_its_ratios() {
        let mut report = report();
        let mut full = Column::new(Kind::LightFullStack);
        full.binary_size = Some(8192);
        report.columns.push(full);
        let size = METRICS.iter().find(|m| m.key == "binary_size_kib").unwrap();
        assert_eq!(
            report.ratio_between(size, Kind::LightFullStack, Kind::LightRuntime),
            Some(4.0)
        );
        let table = report.table();
        assert!(table.contains("light full stack") && table.contains("full/lambda_runtime"));
        assert!(table.contains("4.00x") && table.contains("2.00x"));
        assert_eq!(
            report.json()["metrics"]["binary_size_kib"]["full/light"],
            4.0
        );
    }
}
