//! The end-to-end harness: runs light-runtime's echo, the same echo on
//! `lambda_runtime`, and the protocol floor against the in-process Lambda
//! emulator, and prints their figures side by side with ratios.
//!
//! It builds nothing. From the workspace root, first:
//!
//! ```text
//! cargo build --release --example echo -p light-runtime-examples
//! cargo build --release -p light-runtime-benches --bins
//! cargo run --release -p light-runtime-benches --bin e2e -- [--invocations N] [--quick]
//! ```
//!
//! Options: `--invocations N` timed invocations per wall-clock run (default
//! 10000); `--rounds R` wall-clock runs per bootstrap, interleaved, the
//! fastest kept (default 5); `--cpu N` the one CPU the harness and the
//! bootstraps run on (default 0; `--no-pin` to let the scheduler choose); `--callgrind SHORT,LONG` invocations of the two callgrind runs
//! (default 200,1200); `--no-callgrind`; `--quick` (1000 invocations, 1
//! round, callgrind 50,250); `--bin-dir DIR` where the binaries are (default:
//! this program's own directory, `target/release`); `--full-stack` adds the
//! column "light full stack" (`examples/echo_full_stack`: logging, metrics
//! and tracing on, exporting to an in-process OTLP receiver) and a second
//! table comparing it with a live and a dead OTLP endpoint (build it with
//! `cargo build --release --example echo_full_stack -p light-runtime-examples
//! --features full-stack`). The figures also go to
//! `target/bench-e2e.json`; logs and callgrind out files to
//! `target/bench-e2e/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use light_runtime_benches::bootstrap::{Bootstrap, Kind};
use light_runtime_benches::callgrind::valgrind_version;
use light_runtime_benches::full_stack::{self, Comparison};
use light_runtime_benches::measure::{self, Payload, RunSetup};
use light_runtime_benches::report::{Column, Report};

/// Set in the environment of the harness re-run under `taskset`, so that it
/// does not re-run itself again.
const PINNED_ENV: &str = "LIGHT_RUNTIME_BENCH_PINNED";

/// What the command line asked for.
struct Options {
    invocations: usize,
    rounds: usize,
    callgrind: Option<(usize, usize)>,
    bin_dir: Option<PathBuf>,
    /// The CPU the harness and every bootstrap are pinned to, if any.
    cpu: Option<usize>,
    /// Add the full-stack column and the OTLP endpoint comparison.
    full_stack: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        invocations: 10_000,
        rounds: 5,
        callgrind: Some((200, 1200)),
        bin_dir: None,
        cpu: Some(0),
        full_stack: false,
    };
    let mut args = std::env::args().skip(1);
    let number = |flag: &str, value: Option<String>| -> Result<usize, String> {
        value
            .as_deref()
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{flag} needs a positive number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--invocations" => options.invocations = number("--invocations", args.next())?,
            "--rounds" => options.rounds = number("--rounds", args.next())?,
            "--quick" => {
                options.invocations = 1000;
                options.rounds = 1;
                options.callgrind = options.callgrind.map(|_| (50, 250));
            }
            "--no-callgrind" => options.callgrind = None,
            "--cpu" => {
                let value = args.next();
                options.cpu = Some(
                    value
                        .as_deref()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--cpu needs a CPU number")?,
                );
            }
            "--no-pin" => options.cpu = None,
            "--full-stack" => options.full_stack = true,
            "--callgrind" => {
                let value = args.next().unwrap_or_default();
                let lengths = value
                    .split_once(',')
                    .and_then(|(short, long)| Some((short.parse().ok()?, long.parse().ok()?)))
                    .filter(|&(short, long): &(usize, usize)| short > 0 && long > short)
                    .ok_or("--callgrind needs SHORT,LONG with 0 < SHORT < LONG")?;
                options.callgrind = Some(lengths);
            }
            "--bin-dir" => {
                options.bin_dir = Some(args.next().ok_or("--bin-dir needs a directory")?.into())
            }
            "-h" | "--help" => {
                println!(
                    "usage: e2e [--invocations N] [--rounds R] [--callgrind SHORT,LONG] [--no-callgrind] [--quick]\n\
                     \x20          [--cpu N | --no-pin] [--bin-dir DIR] [--full-stack]\n\
                     build first: {}\n\
                     and for --full-stack: {}",
                    light_runtime_benches::bootstrap::BUILD_COMMANDS,
                    light_runtime_benches::bootstrap::FULL_STACK_BUILD_COMMAND
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`; see --help")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("e2e: {message}");
            return ExitCode::from(2);
        }
    };
    if let Some(cpu) = options.cpu {
        if std::env::var_os(PINNED_ENV).is_none() {
            if let Some(code) = rerun_pinned(cpu) {
                return code;
            }
        }
    }
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("e2e: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs this program again under `taskset -c cpu` and returns its exit
/// code; `None` (run unpinned) when `taskset` is not there.
///
/// One CPU for the emulator, the harness and the bootstrap: each invocation
/// is then a same-core hand-off whose wall time follows the CPU work done,
/// instead of a cross-core wake-up whose latency swings with where the
/// scheduler put the two processes. `taskset` (util-linux) does it without
/// `unsafe` here; the bootstraps inherit the affinity.
fn rerun_pinned(cpu: usize) -> Option<ExitCode> {
    let program = std::env::current_exe().ok()?;
    let status = std::process::Command::new("taskset")
        .arg("-c")
        .arg(cpu.to_string())
        .arg(program)
        .args(std::env::args_os().skip(1))
        .env(PINNED_ENV, cpu.to_string())
        .status();
    match status {
        Ok(status) => Some(match status.code() {
            Some(0) => ExitCode::SUCCESS,
            Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            None => ExitCode::FAILURE,
        }),
        Err(error) => {
            eprintln!("e2e: cannot pin to CPU {cpu} with taskset ({error}); running unpinned");
            None
        }
    }
}

/// Runs one measured run on a tokio runtime of its own, dropped (with the
/// emulator's tasks and everything they recorded) before the next run starts,
/// so that no clean-up of one run lands in the timing of the next.
fn on_fresh_runtime<T>(
    run: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a tokio runtime: {error}"))?
        .block_on(run)
}

fn run(options: Options) -> Result<(), String> {
    let bin_dir = match options.bin_dir.clone() {
        Some(dir) => dir,
        None => std::env::current_exe()
            .map_err(|error| format!("cannot find this program's directory: {error}"))?
            .parent()
            .map(Path::to_path_buf)
            .ok_or("this program has no parent directory")?,
    };
    let mut bootstraps = Bootstrap::locate_all(&bin_dir)?;
    if options.full_stack {
        for kind in Kind::EXTRA {
            bootstraps.push(Bootstrap::locate(&bin_dir, kind)?);
        }
    }
    // target/release -> target
    let target_dir = bin_dir.parent().unwrap_or(&bin_dir).to_path_buf();
    let work_dir = target_dir.join("bench-e2e");
    std::fs::create_dir_all(&work_dir)
        .map_err(|error| format!("cannot create {}: {error}", work_dir.display()))?;

    let payload = Payload::new(serde_json::json!({"hello": "world", "n": 1}));
    let warmup = (options.invocations / 10).clamp(1, 200);
    let mut columns: Vec<Column> = bootstraps.iter().map(|b| Column::new(b.kind)).collect();
    let mut comparison = Comparison::default();

    let mut unstripped = Vec::new();
    for (bootstrap, column) in bootstraps.iter().zip(&mut columns) {
        column.binary_size = bootstrap.size().ok();
        if bootstrap.has_symbols().unwrap_or(false) {
            unstripped.push(bootstrap.path.display().to_string());
        }
    }
    let unstripped_note = (!unstripped.is_empty()).then(|| {
        format!(
            "not stripped, so their size is not what ships (a `cargo bench` build?): {}; rebuild with\n  {}",
            unstripped.join(", "),
            light_runtime_benches::bootstrap::BUILD_COMMANDS
        )
    });
    if let Some(note) = &unstripped_note {
        eprintln!("e2e: warning: {note}");
    }

    // Wall clock: the rounds interleave the bootstraps, so that a burst of
    // load on the machine hurts all of them rather than one.
    for round in 1..=options.rounds {
        for (bootstrap, column) in bootstraps.iter().zip(&mut columns) {
            eprintln!(
                "e2e: wall clock, {} round {round}/{}: {} invocations",
                bootstrap.kind, options.rounds, options.invocations
            );
            let log = work_dir.join(format!("{}.log", file_stem(bootstrap.kind)));
            match on_fresh_runtime(measure::wall_clock_with(
                bootstrap,
                &payload,
                warmup,
                options.invocations,
                &log,
                &setup_of(bootstrap.kind),
            )) {
                Ok(run) => {
                    eprintln!(
                        "e2e:   {:.0} invocations/s, init {:.2} ms",
                        run.throughput,
                        run.init.as_secs_f64() * 1e3
                    );
                    // The fastest round is kept, with the shortest init seen
                    // (and the longest turnaround of all rounds).
                    full_stack::keep_fastest(&mut column.wall_clock, run);
                }
                Err(error) => column.errors.push(error),
            }
        }
        if options.full_stack {
            run_comparison_round(
                &bootstraps,
                &mut comparison,
                &payload,
                warmup,
                &options,
                round,
                &work_dir,
            );
        }
    }
    if options.full_stack {
        comparison.take_from_main(&columns);
    }

    let valgrind = match options.callgrind {
        None => Err("--no-callgrind".to_owned()),
        Some(_) => valgrind_version().ok_or_else(|| {
            "valgrind is not installed (apt-get install -y valgrind); instruction rows skipped"
                .to_owned()
        }),
    };
    let (short, long) = options.callgrind.unwrap_or((200, 1200));
    let mut full_stack_notes = Vec::new();
    if valgrind.is_ok() {
        for (bootstrap, column) in bootstraps.iter().zip(&mut columns) {
            let log = work_dir.join(format!("{}.callgrind.log", file_stem(bootstrap.kind)));
            let mut runs = Vec::new();
            for invocations in [short, long] {
                eprintln!(
                    "e2e: callgrind, {}: {invocations} invocations",
                    bootstrap.kind
                );
                let out_file = work_dir.join(format!(
                    "callgrind.{}.{invocations}.out",
                    file_stem(bootstrap.kind)
                ));
                // The full stack's log lines go to a file here, to be counted.
                let mut setup = setup_of(bootstrap.kind);
                let stdout = work_dir.join(format!(
                    "{}.callgrind.{invocations}.stdout",
                    file_stem(bootstrap.kind)
                ));
                if setup.stdout.is_some() {
                    setup.stdout = Some(stdout.clone());
                }
                match on_fresh_runtime(measure::instructions_with(
                    bootstrap,
                    &payload,
                    invocations,
                    &out_file,
                    &log,
                    &setup,
                )) {
                    Ok(run) => {
                        if setup.stdout.is_some() {
                            full_stack_notes.push(log_lines_note(&stdout, invocations));
                        }
                        if let Some(received) = &run.received {
                            full_stack_notes.push(format!(
                                "callgrind {invocations}: {}",
                                received.note(invocations)
                            ));
                        }
                        runs.push(run)
                    }
                    Err(error) => {
                        column.errors.push(error);
                        break;
                    }
                }
            }
            let mut runs = runs.into_iter();
            if let (Some(short_run), Some(long_run)) = (runs.next(), runs.next()) {
                column.callgrind = Some((short_run, long_run));
            }
        }
    }
    if valgrind.is_ok() && options.full_stack {
        for bootstrap in bootstraps
            .iter()
            .filter(|b| matches!(b.kind, Kind::LightRuntime | Kind::LightFullStack))
        {
            eprintln!(
                "e2e: callgrind, {}: no invocation (init and exit)",
                bootstrap.kind
            );
            let stem = file_stem(bootstrap.kind);
            let out_file = work_dir.join(format!("callgrind.{stem}.0.out"));
            let log = work_dir.join(format!("{stem}.callgrind.log"));
            let measured = on_fresh_runtime(measure::instructions_with(
                bootstrap,
                &payload,
                0,
                &out_file,
                &log,
                &setup_of(bootstrap.kind),
            ))
            .map(|run| run.instructions);
            comparison
                .init_instructions
                .push((bootstrap.kind, measured));
        }
    }
    if let Err(reason) = &valgrind {
        eprintln!("e2e: {reason}");
    }

    let report = Report {
        cpu: options
            .cpu
            .filter(|_| std::env::var_os(PINNED_ENV).is_some()),
        invocations: options.invocations,
        rounds: options.rounds,
        payload: payload.text().to_owned(),
        valgrind: valgrind.as_ref().ok().cloned(),
        callgrind_lengths: (short, long),
        callgrind_skipped: valgrind.err(),
        columns,
    };

    println!();
    print!("{}", report.table());
    for column in &report.columns {
        for error in &column.errors {
            println!("error: {error}");
        }
    }
    if let Some(reason) = &report.callgrind_skipped {
        println!("note: callgrind rows skipped: {reason}");
    }
    if let Some(note) = &unstripped_note {
        println!("warning: {note}");
    }
    let mut json = report.json();
    if options.full_stack {
        println!();
        print!("{}", comparison.table(options.rounds));
        for error in comparison.errors() {
            println!("error: {error}");
        }
        for line in comparison.init_lines() {
            println!("{line}");
        }
        for note in comparison.notes(warmup).into_iter().chain(full_stack_notes) {
            println!("note: {note}");
        }
        let bars = full_stack::bars(&report, &comparison);
        println!();
        for bar in &bars {
            let verdict = match bar.met {
                Some(true) => "met",
                Some(false) => "MISSED",
                None => "not measured",
            };
            println!("bar {verdict}: {}", bar.statement);
        }
        json["full_stack"] = serde_json::json!({
            "comparison": comparison.json(),
            "bars": full_stack::bars_json(&bars),
            "env": light_runtime_benches::telemetry::FULL_STACK_ENV
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
        });
    }
    let json_path = target_dir.join("bench-e2e.json");
    let json = serde_json::to_string_pretty(&json).unwrap_or_default();
    std::fs::write(&json_path, json + "\n")
        .map_err(|error| format!("cannot write {}: {error}", json_path.display()))?;
    println!("figures written to {}", json_path.display());

    let failed = report.columns.iter().any(|c| !c.errors.is_empty()) || comparison.failed();
    if failed {
        Err("some measurements failed; see the errors above".to_owned())
    } else {
        Ok(())
    }
}

/// The stem of a bootstrap's file names in `target/bench-e2e/`: its name
/// with `-` for spaces (the same as the name for the three base columns).
fn file_stem(kind: Kind) -> String {
    kind.name().replace(' ', "-")
}

/// How a column's runs are set up: the full stack exports to a live OTLP
/// receiver and writes its log lines to `/dev/null`; the others get the
/// defaults.
fn setup_of(kind: Kind) -> RunSetup {
    if kind == Kind::LightFullStack {
        full_stack::MAIN.setup()
    } else {
        RunSetup::default()
    }
}

/// One round of the comparison's own runs (those the main table does not
/// already make), each on a fresh runtime.
fn run_comparison_round(
    bootstraps: &[Bootstrap],
    comparison: &mut Comparison,
    payload: &Payload,
    warmup: usize,
    options: &Options,
    round: usize,
    work_dir: &Path,
) {
    for run in &mut comparison.runs {
        if run.variant.in_main_table() {
            continue;
        }
        let Some(bootstrap) = bootstraps.iter().find(|b| b.kind == run.variant.kind) else {
            continue;
        };
        let key = run.variant.key();
        eprintln!(
            "e2e: wall clock, {key} round {round}/{}: {} invocations",
            options.rounds, options.invocations
        );
        let log = work_dir.join(format!("{key}.log"));
        match on_fresh_runtime(measure::wall_clock_with(
            bootstrap,
            payload,
            warmup,
            options.invocations,
            &log,
            &run.variant.setup(),
        )) {
            Ok(measured) => {
                eprintln!(
                    "e2e:   {:.0} invocations/s, p50 {:.1} us, p99 {:.1} us, max {:.0} us",
                    measured.throughput,
                    measured.p50.as_secs_f64() * 1e6,
                    measured.p99.as_secs_f64() * 1e6,
                    measured.max.as_secs_f64() * 1e6
                );
                full_stack::keep_fastest(&mut run.wall_clock, measured);
            }
            Err(error) => run.errors.push(error),
        }
    }
}

/// Checks that the full stack wrote one JSON line with a `requestId` per
/// invocation to `stdout`.
fn log_lines_note(stdout: &Path, invocations: usize) -> String {
    let text = std::fs::read_to_string(stdout).unwrap_or_default();
    let lines = text.lines().count();
    let with_id = text
        .lines()
        .filter(|l| l.starts_with('{') && l.contains("\"requestId\""))
        .count();
    format!(
        "callgrind {invocations}: {lines} stdout lines, {with_id} JSON lines with a requestId ({})",
        stdout.display()
    )
}
