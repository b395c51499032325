//! Web-app mode against AWS Lambda Web Adapter: the same axum app
//! (`axum-hello-server`, a plain HTTP server on 127.0.0.1) behind
//! `light-runtime web` and behind the Web Adapter (`lambda-adapter` of
//! `lambda_web_adapter` 1.0.0-rc1), the same API Gateway v2 event
//! ([`light_runtime_benches::axum_hello::event`]), the same Lambda emulator.
//!
//! - Instructions per request under callgrind, of the adapter's process
//!   alone: the app is light-runtime's child, which callgrind does not
//!   follow, or the Web Adapter's sidecar, started natively. Differenced
//!   over two run lengths. Target: at most 0.6× the Web Adapter's.
//! - Requests per second: invocations through the emulator, back to back,
//!   by the wall clock; the median of `--rounds` runs, the two sides
//!   alternating round by round (as for the cold starts). Target: at least
//!   1.1× the Web Adapter's.
//! - Cold start: spawn to the first `next` the emulator sees, which both
//!   send only once the app answers; the app is spawned with the Web
//!   Adapter, and by light-runtime itself. The median of `--cold-rounds`.
//!   Target: no slower than the Web Adapter.
//!
//! A run that fails is made again, up to three times in all, and the
//! table says how many were: the Web Adapter sometimes loses a race
//! between its extension registration and its first `next` ([`ATTEMPTS`]).
//!
//! The Web Adapter is a bench-only tool: when
//! `target/lambda-web-adapter/bin/lambda-adapter` is missing, this program
//! installs it there with `cargo install --locked`. With `--check`, exit 1
//! when a target is missed.
//!
//! ```text
//! cargo build --release -p light-runtime-cli --bin light-runtime
//! cargo build --release -p light-runtime-benches --bin axum-hello-server \
//!     --bin web-vs-adapter
//! target/release/web-vs-adapter [--check] [--light-runtime PATH] [--requests 2000]
//!     [--warmup 200] [--rounds 3] [--cold-rounds 21] [--short 50] [--long 250]
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use light_runtime_benches::axum_hello;
use light_runtime_benches::bench_args::BenchArgs;
use light_runtime_benches::bootstrap::{Bootstrap, Kind};
use light_runtime_benches::callgrind::valgrind_version;
use light_runtime_benches::measure::{self, Payload, RunSetup};
use light_runtime_benches::sidecar::Sidecar;
use light_runtime_benches::stats::median;

/// The most instructions per request, as a multiple of the Web Adapter's.
const MAX_INSTRUCTIONS_RATIO: f64 = 0.6;
/// The fewest requests per second, as a multiple of the Web Adapter's.
const MIN_THROUGHPUT_RATIO: f64 = 1.1;
/// The longest cold start, as a multiple of the Web Adapter's.
const MAX_COLD_START_RATIO: f64 = 1.0;

/// The Web Adapter release compared against.
const WEB_ADAPTER: &str = "lambda_web_adapter@1.0.0-rc1";

const NUMBERS: [&str; 6] = [
    "--requests",
    "--warmup",
    "--rounds",
    "--cold-rounds",
    "--short",
    "--long",
];

/// The run lengths and repetitions.
struct Plan {
    requests: usize,
    warmup: usize,
    rounds: usize,
    cold_rounds: usize,
    lengths: [usize; 2],
}

/// One side's figures.
#[derive(Debug, Clone, Copy)]
struct Figures {
    instructions: f64,
    throughput: f64,
    cold_start_ms: f64,
    /// The quickest cold start, in milliseconds.
    cold_start_min_ms: f64,
    /// Runs that failed and were made again.
    retried: usize,
}

/// How many times a failed run is made in all. The Web Adapter registers
/// as an extension from a task of its own while it probes the app, and
/// exits when the emulator refuses the registration because its runtime
/// `next` came first (registration closes there, as in AWS's emulator):
/// with the app up at the first probe, that race is sometimes lost.
const ATTEMPTS: usize = 3;

/// Makes `run` up to [`ATTEMPTS`] times until it succeeds, counting the
/// failures in `retried`.
fn attempt<T>(
    what: &str,
    retried: &mut usize,
    mut run: impl FnMut() -> Result<T, String>,
) -> Result<T, String> {
    let mut failures = Vec::new();
    while failures.len() < ATTEMPTS {
        match run() {
            Ok(value) => {
                *retried += failures.len();
                return Ok(value);
            }
            Err(error) => {
                eprintln!("web-vs-adapter: {what} failed ({error}); trying again");
                failures.push(error);
            }
        }
    }
    Err(format!(
        "{what} failed {ATTEMPTS} times: {}",
        failures.join("; ")
    ))
}

/// One adapter with the app behind it.
struct Side {
    bootstrap: Bootstrap,
    setup: RunSetup,
}

/// A port no one listens on now, for the app of one side.
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|error| format!("cannot find a free port on 127.0.0.1: {error}"))
}

/// The Web Adapter's binary under the target directory, installed there
/// first if missing.
fn web_adapter(release: &Path) -> Result<PathBuf, String> {
    let root = release
        .parent()
        .unwrap_or(release)
        .join("lambda-web-adapter");
    let binary = root.join("bin").join(Kind::WebAdapterAxum.relative_path());
    if binary.is_file() {
        return Ok(binary);
    }
    eprintln!(
        "web-vs-adapter: installing {WEB_ADAPTER} into {} (once)",
        root.display()
    );
    let status = std::process::Command::new("cargo")
        .args(["install", "--locked", "--root"])
        .arg(&root)
        .arg(WEB_ADAPTER)
        .env("CARGO_TARGET_DIR", root.join("build"))
        .status()
        .map_err(|error| format!("cannot run cargo install: {error}"))?;
    if !status.success() || !binary.is_file() {
        return Err(format!(
            "`cargo install --locked --root {} {WEB_ADAPTER}` failed ({status})",
            root.display()
        ));
    }
    Ok(binary)
}

/// What one side has measured so far: it stops at its first run that
/// fails [`ATTEMPTS`] times.
#[derive(Default)]
struct Tally {
    cold_starts_ms: Vec<f64>,
    throughputs: Vec<f64>,
    instructions: f64,
    retried: usize,
    failure: Option<String>,
}

impl Tally {
    fn figures(&self) -> Result<Figures, String> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        Ok(Figures {
            instructions: self.instructions,
            throughput: median(&self.throughputs).unwrap_or_default(),
            cold_start_ms: median(&self.cold_starts_ms).unwrap_or_default(),
            cold_start_min_ms: self
                .cold_starts_ms
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min),
            retried: self.retried,
        })
    }
}

/// Measures every side, the wall-clock runs alternating between them round
/// by round so that the load of a shared machine falls on both alike.
fn measure_sides(sides: &[&Side], plan: &Plan, work_dir: &Path) -> Result<Vec<Tally>, String> {
    let payload = Payload::answered_by_http(axum_hello::event(), 200, "hello, ada");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a tokio runtime: {error}"))?;
    let mut tallies: Vec<Tally> = sides.iter().map(|_| Tally::default()).collect();
    let log = |side: &Side| {
        work_dir.join(format!(
            "{}.log",
            side.bootstrap.kind.name().replace(' ', "-")
        ))
    };
    let timed = |side: &Side, warmup: usize, requests: usize, tally: &mut Tally, what: &str| {
        let kind = side.bootstrap.kind;
        let run = attempt(&format!("{kind}: {what}"), &mut tally.retried, || {
            runtime.block_on(measure::wall_clock_with(
                &side.bootstrap,
                &payload,
                warmup,
                requests,
                &log(side),
                &side.setup,
            ))
        });
        run.map_err(|error| tally.failure = Some(error)).ok()
    };
    for round in 1..=plan.cold_rounds {
        eprintln!(
            "web-vs-adapter: cold start, round {round} of {}",
            plan.cold_rounds
        );
        for (side, tally) in sides.iter().zip(&mut tallies) {
            if tally.failure.is_none() {
                if let Some(run) = timed(side, 0, 1, tally, "a cold start") {
                    let ms = run.init.as_secs_f64() * 1e3;
                    eprintln!("web-vs-adapter:   {}: {ms:.2} ms", side.bootstrap.kind);
                    tally.cold_starts_ms.push(ms);
                }
            }
        }
    }
    for round in 1..=plan.rounds {
        eprintln!(
            "web-vs-adapter: requests per second, round {round} of {}",
            plan.rounds
        );
        for (side, tally) in sides.iter().zip(&mut tallies) {
            if tally.failure.is_none() {
                if let Some(run) = timed(side, plan.warmup, plan.requests, tally, "a timed run") {
                    tally.throughputs.push(run.throughput);
                }
            }
        }
    }
    for (side, tally) in sides.iter().zip(&mut tallies) {
        if tally.failure.is_some() {
            continue;
        }
        let kind = side.bootstrap.kind;
        let costs = attempt(
            &format!("{kind}: the callgrind runs"),
            &mut tally.retried,
            || {
                measure::per_invocation_with(
                    "web-vs-adapter",
                    &side.bootstrap,
                    &payload,
                    &plan.lengths,
                    work_dir,
                    &side.setup,
                )
            },
        );
        match costs {
            Ok(costs) => tally.instructions = costs[0].own,
            Err(error) => tally.failure = Some(error),
        }
    }
    Ok(tallies)
}

fn print_row(label: &str, figures: &Figures) {
    println!(
        "  {label:<22} {:>14.0} {:>12.0} {:>14.2} {:>10.2} {:>8}",
        figures.instructions,
        figures.throughput,
        figures.cold_start_ms,
        figures.cold_start_min_ms,
        figures.retried
    );
}

fn run(args: &BenchArgs) -> Result<bool, String> {
    let plan = Plan {
        requests: args.number("--requests", 2000)?,
        warmup: args.number("--warmup", 200)?,
        rounds: args.number("--rounds", 3)?,
        cold_rounds: args.number("--cold-rounds", 21)?,
        lengths: [args.number("--short", 50)?, args.number("--long", 250)?],
    };
    if plan.lengths[1] <= plan.lengths[0] {
        return Err("--long must be more than --short".to_owned());
    }
    valgrind_version().ok_or("valgrind is not installed (apt-get install -y valgrind)")?;
    let release = args.release_dir()?;
    let work_dir = args.work_dir()?;
    let server = release.join("axum-hello-server");
    if !server.is_file() {
        return Err(format!(
            "{} not found; build it: cargo build --release -p light-runtime-benches --bin axum-hello-server",
            server.display()
        ));
    }
    let server_text = server.display().to_string();
    let (our_port, their_port) = (free_port()?.to_string(), free_port()?.to_string());
    let ours = Side {
        bootstrap: args.light_runtime(Kind::WebAxum)?.with_args([
            "web",
            "--port",
            &our_port,
            "--",
            &server_text,
            "--port",
            &our_port,
        ]),
        setup: RunSetup::default(),
    };
    let theirs = Side {
        bootstrap: Bootstrap::new(Kind::WebAdapterAxum, web_adapter(&release)?)
            .with_env("AWS_LWA_PORT", &their_port),
        setup: RunSetup {
            sidecar: Some(Sidecar::new(&server, ["--port", &their_port])),
            ..RunSetup::default()
        },
    };

    let tallies = measure_sides(&[&theirs, &ours], &plan, &work_dir)?;
    let adapter = tallies[0]
        .figures()
        .map_err(|error| format!("the Web Adapter could not be measured: {error}"))?;
    println!(
        "axum hello behind API Gateway v2 events on the Lambda emulator \
         (instructions: {} -> {}, adapter process only; req/s: median of {} runs of {}; \
         cold start: median of {}; the two alternating round by round):",
        plan.lengths[0], plan.lengths[1], plan.rounds, plan.requests, plan.cold_rounds
    );
    println!(
        "  {:<22} {:>14} {:>12} {:>14} {:>10} {:>8}",
        "", "instr./request", "requests/s", "cold start ms", "(min)", "retried"
    );
    print_row("Lambda Web Adapter", &adapter);
    let web = match tallies[1].figures() {
        Ok(web) => web,
        Err(error) => {
            println!("  {:<22} not measured: {error}", "light-runtime web");
            return Err("web mode could not be measured".to_owned());
        }
    };
    print_row("light-runtime web", &web);
    let instructions = web.instructions / adapter.instructions;
    let throughput = web.throughput / adapter.throughput;
    let cold_start = web.cold_start_ms / adapter.cold_start_ms;
    println!(
        "  ratio, light-runtime / Web Adapter: instructions {instructions:.3}x \
         (target <= {MAX_INSTRUCTIONS_RATIO}x), requests/s {throughput:.3}x \
         (target >= {MIN_THROUGHPUT_RATIO}x), cold start {cold_start:.3}x \
         (target <= {MAX_COLD_START_RATIO}x)"
    );
    Ok(instructions <= MAX_INSTRUCTIONS_RATIO
        && throughput >= MIN_THROUGHPUT_RATIO
        && cold_start <= MAX_COLD_START_RATIO)
}

fn main() -> ExitCode {
    let args = match BenchArgs::from_env("web-vs-adapter", &NUMBERS) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("web-vs-adapter: {error}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) if args.check() => {
            eprintln!("web-vs-adapter: a target against the Web Adapter is missed");
            ExitCode::FAILURE
        }
        Ok(false) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("web-vs-adapter: {error}");
            ExitCode::from(2)
        }
    }
}
