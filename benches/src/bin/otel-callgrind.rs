//! Issue 16's figures against the real anchor: a span per invocation
//! exported by OTLP/HTTP (protobuf) after each invocation, on light-runtime
//! (`examples/echo_traced`: the tracing layer, our encoder and keep-alive
//! client, exporting at Freeze) and on `lambda_runtime` 1.5
//! (`echo-lambda-runtime-otel`: its `OpenTelemetryLayer` flushing the
//! OpenTelemetry SDK's batch processor and `opentelemetry-otlp`'s
//! exporter), same echo, same Lambda emulator, same OTLP receiver; and the
//! bare echoes of each runtime, for what telemetry adds.
//!
//! From the workspace root:
//!
//! ```text
//! cargo build --release --example echo -p light-runtime-examples
//! cargo build --release --example echo_traced -p light-runtime-examples --features traced
//! cargo build --release -p light-runtime-benches --bins
//! cargo run --release -p light-runtime-benches --bin otel-callgrind
//! ```
//!
//! Under callgrind, each bootstrap runs 50 and 250 invocations on a fresh
//! emulator: per invocation is `(I(250) − I(50)) / 200`. Cold start is
//! `I(0)`: start to the first `next` (Lambda's init duration), then SIGTERM
//! and exit, the least of three runs (a derived `I(50) − 50 × per
//! invocation` moved by ±50,000 between runs). The cold start telemetry
//! adds is `I(0)` with telemetry minus without it, for each runtime. Each
//! telemetry run must deliver a span per invocation to the receiver. Exits 1 when a target is missed: at most
//! 0.3× the reference's instructions per invocation, at most 0.5× its
//! added cold start.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use light_runtime_benches::bootstrap::{Bootstrap, Kind};
use light_runtime_benches::callgrind::valgrind_version;
use light_runtime_benches::measure::{self, Payload, RunSetup};
use light_runtime_benches::telemetry::Otlp;
use serde_json::json;

const LENGTHS: [usize; 2] = [50, 250];
/// Per invocation, at most this share of the reference's.
const MAX_PER_INVOCATION: f64 = 0.3;
/// Added cold start, at most this share of the reference's.
const MAX_ADDED_COLD_START: f64 = 0.5;

/// Runs of `I(0)` per bootstrap; the least is kept.
const COLD_RUNS: usize = 3;

/// One bootstrap's figures.
#[derive(Debug, Clone, Copy)]
struct Figures {
    per_invocation: f64,
    /// `I(0)`: init to the first `next`, and exit.
    cold: f64,
}

fn measure_one(bootstrap: &Bootstrap, traced: bool, work_dir: &Path) -> Result<Figures, String> {
    std::fs::create_dir_all(work_dir)
        .map_err(|error| format!("cannot create {}: {error}", work_dir.display()))?;
    let payload = Payload::new(json!({ "order": 42, "sku": "B07XJ8C8F5" }));
    let setup = RunSetup {
        otlp: traced.then_some(Otlp::Live),
        stdout: Some(PathBuf::from("/dev/null")),
        ..RunSetup::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a tokio runtime: {error}"))?;
    let mut totals = Vec::new();
    let lengths = std::iter::repeat_n(0, COLD_RUNS).chain(LENGTHS);
    for invocations in lengths {
        eprintln!(
            "otel-callgrind: callgrind, {} ({}): {invocations} invocations",
            bootstrap.path.display(),
            if traced { "traced" } else { "bare" }
        );
        let run = runtime.block_on(measure::instructions_with(
            bootstrap,
            &payload,
            invocations,
            &work_dir.join(format!("callgrind.{invocations}.{}.out", totals.len())),
            &work_dir.join("bootstrap.log"),
            &setup,
        ))?;
        if let Some(received) = &run.received {
            if received.spans < invocations {
                return Err(format!(
                    "{} delivered {} spans for {invocations} invocations",
                    bootstrap.path.display(),
                    received.spans
                ));
            }
        }
        totals.push(run.instructions as f64);
    }
    let span = (LENGTHS[1] - LENGTHS[0]) as f64;
    let (cold, long) = totals.split_at(COLD_RUNS);
    Ok(Figures {
        per_invocation: (long[1] - long[0]) / span,
        cold: cold.iter().copied().fold(f64::INFINITY, f64::min),
    })
}

fn run() -> Result<(), String> {
    let bin_dir: PathBuf = std::env::current_exe()
        .map_err(|error| format!("cannot find this program's directory: {error}"))?
        .parent()
        .map(Path::to_path_buf)
        .ok_or("this program has no parent directory")?;
    valgrind_version().ok_or("valgrind is not installed (apt-get install -y valgrind)")?;
    let work_dir = bin_dir.join("otel-callgrind.out");
    let located = |relative: &str, kind| {
        let path = bin_dir.join(relative);
        if path.is_file() {
            Ok(Bootstrap::new(kind, path))
        } else {
            Err(format!(
                "{} not found; build it first (see the module docs of otel-callgrind.rs)",
                path.display()
            ))
        }
    };
    let ours_bare = measure_one(
        &located("examples/echo", Kind::LightRuntime)?,
        false,
        &work_dir.join("light-bare"),
    )?;
    let ours = measure_one(
        &located("examples/echo_traced", Kind::LightRuntime)?,
        true,
        &work_dir.join("light-traced"),
    )?;
    let theirs_bare = measure_one(
        &located("echo-lambda-runtime", Kind::LambdaRuntime)?,
        false,
        &work_dir.join("lambda-runtime-bare"),
    )?;
    let theirs = measure_one(
        &located("echo-lambda-runtime-otel", Kind::LambdaRuntime)?,
        true,
        &work_dir.join("lambda-runtime-otel"),
    )?;
    let per_invocation_ratio = ours.per_invocation / theirs.per_invocation;
    let ours_added = ours.cold - ours_bare.cold;
    let theirs_added = theirs.cold - theirs_bare.cold;
    let added_ratio = ours_added / theirs_added;
    println!(
        "instructions per invocation ({} -> {} invocations), a span exported by OTLP/HTTP \
         after each:\n  light-runtime tracing layer {:.0} (bare {:.0})\n  lambda_runtime \
         OpenTelemetryLayer + opentelemetry-otlp {:.0} (bare {:.0})\n  ratio {:.3}x \
         (target <= {MAX_PER_INVOCATION}x)",
        LENGTHS[0],
        LENGTHS[1],
        ours.per_invocation,
        ours_bare.per_invocation,
        theirs.per_invocation,
        theirs_bare.per_invocation,
        per_invocation_ratio
    );
    println!(
        "cold start, I(0) (start to the first next, then exit), least of {COLD_RUNS} runs:\n  \
         light-runtime {:.0} traced, {:.0} bare: telemetry adds {ours_added:.0}\n  \
         lambda_runtime {:.0} traced, {:.0} bare: telemetry adds {theirs_added:.0}\n  ratio \
         {added_ratio:.3}x (target <= {MAX_ADDED_COLD_START}x)",
        ours.cold, ours_bare.cold, theirs.cold, theirs_bare.cold
    );
    let mut missed = Vec::new();
    if per_invocation_ratio > MAX_PER_INVOCATION {
        missed.push(format!(
            "per invocation {per_invocation_ratio:.3}x > {MAX_PER_INVOCATION}x"
        ));
    }
    if added_ratio > MAX_ADDED_COLD_START {
        missed.push(format!(
            "added cold start {added_ratio:.3}x > {MAX_ADDED_COLD_START}x"
        ));
    }
    if missed.is_empty() {
        Ok(())
    } else {
        Err(format!("target missed: {}", missed.join("; ")))
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("otel-callgrind: {message}");
            ExitCode::from(1)
        }
    }
}
