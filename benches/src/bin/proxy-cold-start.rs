//! The cold start proxy mode adds in front of a child: from spawn to the
//! first `next` the Lambda emulator sees, for `echo-lambda-runtime` (an
//! echo on AWS's `lambda_runtime`) alone and behind `light-runtime proxy`.
//! Behind the proxy, that `next` is the proxy's, which it sends once its
//! child asked for one, so the span covers the proxy's start, the child's
//! and the child's first call.
//!
//! Each round starts both once, alternating, each on a fresh emulator; the
//! figure is the median over the rounds of the paired difference. The
//! target of issue 13: at most 2 ms. With `--check`, exit 1 above it.
//!
//! ```text
//! cargo build --release -p light-runtime-cli --bin light-runtime
//! cargo build --release -p light-runtime-benches --bin echo-lambda-runtime \
//!     --bin proxy-cold-start
//! target/release/proxy-cold-start [--check] [--light-runtime PATH] [--rounds 30]
//! ```

use std::process::ExitCode;
use std::time::Duration;

use light_runtime_benches::bench_args::BenchArgs;
use light_runtime_benches::bootstrap::{Bootstrap, Kind};
use light_runtime_benches::measure::{self, Payload};
use light_runtime_benches::stats::median;

/// The most the proxy may add, in milliseconds.
const TARGET_MS: f64 = 2.0;

/// Spawn to first `next`, in milliseconds, with one invocation served so
/// that the run checks the echo answers.
async fn cold_start(
    bootstrap: &Bootstrap,
    payload: &Payload,
    log: &std::path::Path,
) -> Result<f64, String> {
    let run = measure::wall_clock(bootstrap, payload, 0, 1, log).await?;
    Ok(as_ms(run.init))
}

fn as_ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn run(args: &BenchArgs) -> Result<bool, String> {
    let rounds = args.number("--rounds", 30)?;
    let release = args.release_dir()?;
    let work_dir = args.work_dir()?;
    let child = Bootstrap::locate(&release, Kind::LambdaRuntime)?;
    let proxied = args
        .light_runtime(Kind::ProxyLambdaRuntime)?
        .with_args(["proxy", "--"])
        .with_args([child.path.display().to_string()]);
    let payload = Payload::new(serde_json::json!({"hello": "world"}));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a tokio runtime: {error}"))?;
    let (mut alone, mut behind, mut added) = (Vec::new(), Vec::new(), Vec::new());
    let mut failure = None;
    for round in 1..=rounds {
        eprintln!("proxy-cold-start: round {round} of {rounds}");
        let child_ms =
            runtime.block_on(cold_start(&child, &payload, &work_dir.join("child.log")))?;
        alone.push(child_ms);
        match runtime.block_on(cold_start(&proxied, &payload, &work_dir.join("proxy.log"))) {
            Ok(proxied_ms) => {
                eprintln!("proxy-cold-start:   alone {child_ms:.2} ms, behind the proxy {proxied_ms:.2} ms");
                behind.push(proxied_ms);
                added.push(proxied_ms - child_ms);
            }
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    let min = |values: &[f64]| values.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "cold start, spawn to first `next` on the Lambda emulator, ms ({} rounds):",
        alone.len()
    );
    println!("  {:<36} {:>8} {:>8}", "", "median", "min");
    println!(
        "  {:<36} {:>8.2} {:>8.2}",
        "echo-lambda-runtime alone",
        median(&alone).unwrap_or_default(),
        min(&alone)
    );
    if let Some(error) = failure {
        println!(
            "  {:<36} not measured: {error}",
            "behind light-runtime proxy"
        );
        return Err("proxy mode could not be measured".to_owned());
    }
    println!(
        "  {:<36} {:>8.2} {:>8.2}",
        "behind light-runtime proxy",
        median(&behind).unwrap_or_default(),
        min(&behind)
    );
    let added = median(&added).unwrap_or_default();
    println!("  added by the proxy (median of the paired differences): {added:.2} ms (target <= {TARGET_MS} ms)");
    Ok(added <= TARGET_MS)
}

fn main() -> ExitCode {
    let args = match BenchArgs::from_env("proxy-cold-start", &["--rounds"]) {
        Ok(args) => args,
        Err(error) => {
            eprintln!("proxy-cold-start: {error}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) if args.check() => {
            eprintln!("proxy-cold-start: the proxy adds more than {TARGET_MS} ms");
            ExitCode::FAILURE
        }
        Ok(false) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("proxy-cold-start: {error}");
            ExitCode::from(2)
        }
    }
}
