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
//! this program's own directory, `target/release`). The figures also go to
//! `target/bench-e2e.json`; logs and callgrind out files to
//! `target/bench-e2e/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use light_runtime_benches::bootstrap::Bootstrap;
use light_runtime_benches::callgrind::valgrind_version;
use light_runtime_benches::measure::{self, Payload};
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
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        invocations: 10_000,
        rounds: 5,
        callgrind: Some((200, 1200)),
        bin_dir: None,
        cpu: Some(0),
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
                     \x20          [--cpu N | --no-pin] [--bin-dir DIR]\n\
                     build first: {}",
                    light_runtime_benches::bootstrap::BUILD_COMMANDS
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
    let bin_dir = match options.bin_dir {
        Some(dir) => dir,
        None => std::env::current_exe()
            .map_err(|error| format!("cannot find this program's directory: {error}"))?
            .parent()
            .map(Path::to_path_buf)
            .ok_or("this program has no parent directory")?,
    };
    let bootstraps = Bootstrap::locate_all(&bin_dir)?;
    // target/release -> target
    let target_dir = bin_dir.parent().unwrap_or(&bin_dir).to_path_buf();
    let work_dir = target_dir.join("bench-e2e");
    std::fs::create_dir_all(&work_dir)
        .map_err(|error| format!("cannot create {}: {error}", work_dir.display()))?;

    let payload = Payload::new(serde_json::json!({"hello": "world", "n": 1}));
    let warmup = (options.invocations / 10).clamp(1, 200);
    let mut columns: Vec<Column> = bootstraps.iter().map(|b| Column::new(b.kind)).collect();

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
            let log = work_dir.join(format!("{}.log", bootstrap.kind));
            match on_fresh_runtime(measure::wall_clock(
                bootstrap,
                &payload,
                warmup,
                options.invocations,
                &log,
            )) {
                Ok(run) => {
                    eprintln!(
                        "e2e:   {:.0} invocations/s, init {:.2} ms",
                        run.throughput,
                        run.init.as_secs_f64() * 1e3
                    );
                    // The fastest round is kept, with the shortest init seen.
                    if let Some(kept) = &mut column.wall_clock {
                        let init = kept.init.min(run.init);
                        if run.throughput > kept.throughput {
                            *kept = run;
                        }
                        kept.init = init;
                    } else {
                        column.wall_clock = Some(run);
                    }
                }
                Err(error) => column.errors.push(error),
            }
        }
    }

    let valgrind = match options.callgrind {
        None => Err("--no-callgrind".to_owned()),
        Some(_) => valgrind_version().ok_or_else(|| {
            "valgrind is not installed (apt-get install -y valgrind); instruction rows skipped"
                .to_owned()
        }),
    };
    let (short, long) = options.callgrind.unwrap_or((200, 1200));
    if valgrind.is_ok() {
        for (bootstrap, column) in bootstraps.iter().zip(&mut columns) {
            let log = work_dir.join(format!("{}.callgrind.log", bootstrap.kind));
            let mut runs = Vec::new();
            for invocations in [short, long] {
                eprintln!(
                    "e2e: callgrind, {}: {invocations} invocations",
                    bootstrap.kind
                );
                let out_file =
                    work_dir.join(format!("callgrind.{}.{invocations}.out", bootstrap.kind));
                match on_fresh_runtime(measure::instructions(
                    bootstrap,
                    &payload,
                    invocations,
                    &out_file,
                    &log,
                )) {
                    Ok(run) => runs.push(run),
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
    let json_path = target_dir.join("bench-e2e.json");
    let json = serde_json::to_string_pretty(&report.json()).unwrap_or_default();
    std::fs::write(&json_path, json + "\n")
        .map_err(|error| format!("cannot write {}: {error}", json_path.display()))?;
    println!("figures written to {}", json_path.display());

    let failed = report.columns.iter().any(|c| !c.errors.is_empty());
    if failed {
        Err("some measurements failed; see the errors above".to_owned())
    } else {
        Ok(())
    }
}
