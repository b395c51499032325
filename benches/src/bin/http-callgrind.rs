//! Instructions per request of an axum hello app behind API Gateway v2
//! events: light-runtime (`axum-hello`) against AWS's `lambda_http`
//! (`axum-hello-lambda-http`), each on a fresh Lambda emulator under
//! `valgrind --tool=callgrind`, the same way `perf-guard` measures the
//! echo. The per-request figure is `(I(long) − I(short)) / (long − short)`
//! over two run lengths, so start-up and exit cancel out.
//!
//! Fails (exit 1) when light-runtime costs more than 0.5× `lambda_http`.
//!
//! ```text
//! cargo build --release -p light-runtime-benches --bin axum-hello \
//!     --bin axum-hello-lambda-http --bin http-callgrind
//! target/release/http-callgrind [--short 50] [--long 250]
//! ```

use std::path::Path;
use std::process::ExitCode;

use light_runtime_benches::bootstrap::{Bootstrap, Kind};
use light_runtime_benches::callgrind::valgrind_version;
use light_runtime_benches::measure::{self, Payload};

/// The largest allowed ratio of light-runtime's instructions to lambda_http's.
const MAX_RATIO: f64 = 0.5;

fn number(name: &str, default: usize) -> Result<usize, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|arg| arg == name) {
        None => Ok(default),
        Some(at) => args
            .get(at + 1)
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("{name} needs a number of requests")),
    }
}

/// Instructions per request of `kind` between `short` and `long` requests.
fn per_request(
    bin_dir: &Path,
    work_dir: &Path,
    kind: Kind,
    short: usize,
    long: usize,
) -> Result<f64, String> {
    let bootstrap = Bootstrap::locate(bin_dir, kind)?;
    let payload = Payload::answered_by(
        light_runtime_benches::axum_hello::event(),
        light_runtime_benches::axum_hello::answer(),
    );
    let figures = measure::per_invocation(
        "http-callgrind",
        &bootstrap,
        &payload,
        &[short, long],
        work_dir,
    )?;
    Ok(figures[0])
}

fn run() -> Result<bool, String> {
    let short = number("--short", 50)?;
    let long = number("--long", 250)?;
    if long <= short {
        return Err(format!(
            "--long ({long}) must be more than --short ({short})"
        ));
    }
    valgrind_version().ok_or("valgrind is not installed (apt-get install -y valgrind)")?;
    let bin_dir = std::env::current_exe()
        .map_err(|error| format!("cannot find this program's directory: {error}"))?
        .parent()
        .map(Path::to_path_buf)
        .ok_or("this program has no parent directory")?;
    // Beside the release directory, as `perf-guard`'s: the binary itself
    // has this crate's name for it.
    let work_dir = bin_dir.parent().unwrap_or(&bin_dir).join("http-callgrind");
    std::fs::create_dir_all(&work_dir)
        .map_err(|error| format!("cannot create {}: {error}", work_dir.display()))?;
    let ours = per_request(&bin_dir, &work_dir, Kind::AxumLightRuntime, short, long)?;
    let theirs = per_request(&bin_dir, &work_dir, Kind::AxumLambdaHttp, short, long)?;
    let ratio = ours / theirs;
    println!(
        "axum hello behind API Gateway v2 events, instructions per request ({short} -> {long}):"
    );
    println!("  light-runtime {ours:>9.0}");
    println!("  lambda_http   {theirs:>9.0}");
    println!("  ratio         {ratio:>9.3}x (limit {MAX_RATIO}x)");
    Ok(ratio <= MAX_RATIO)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("http-callgrind: light-runtime is over {MAX_RATIO}x lambda_http");
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("http-callgrind: {message}");
            ExitCode::from(2)
        }
    }
}
