//! What `LIGHT_RUNTIME_TELEMETRY_FLUSH=strict` costs per invocation: the
//! full-stack echo (`examples/echo_full_stack`: logging, metrics, tracing)
//! under the FC 3.0 and plain-HTTP emulators, exporting to a local OTLP
//! receiver, once with the default schedule (export in the background once
//! idle) and once strict (export before the response of the last
//! invocation in flight). Sequential requests; the figure is the median
//! and p99 of each request's round trip, and strict minus idle.
//!
//! Runs alternate (idle, strict, idle, strict, ...) so drift on a shared
//! machine hits both; each figure is the median over the runs of each
//! run's percentile.
//!
//! ```text
//! cargo build --release --example echo_full_stack -p light-runtime-examples --features full-stack
//! cargo build --release -p light-runtime-benches --bin strict-flush
//! target/release/strict-flush [--requests 1000] [--runs 3]
//! ```

use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use light_runtime_benches::bootstrap::FULL_STACK_BUILD_COMMAND;
use light_runtime_benches::stats::{median, percentile};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::http_platform::HttpPlatform;
use light_runtime_testkit::otlp::OtlpReceiver;

/// Every wait is bounded by this.
const WAIT: Duration = Duration::from_secs(10);
/// Requests before measuring: connections made, caches warm.
const WARM_UP: usize = 50;

fn number(name: &str, default: usize) -> Result<usize, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|arg| arg == name) {
        None => Ok(default),
        Some(at) => args
            .get(at + 1)
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("{name} needs a number")),
    }
}

/// The platform in front of the function.
#[derive(Clone, Copy, Debug)]
enum Platform {
    Fc,
    Knative,
}

enum Front {
    Fc(FcEmulator),
    Http(HttpPlatform),
}

impl Front {
    fn start(platform: Platform) -> std::io::Result<Front> {
        Ok(match platform {
            Platform::Fc => Front::Fc(FcEmulator::builder().start()?),
            Platform::Knative => Front::Http(HttpPlatform::knative()?),
        })
    }

    fn env(&self) -> Vec<(String, String)> {
        match self {
            Front::Fc(fc) => fc.env(),
            Front::Http(http) => http.env(),
        }
    }

    async fn wait_ready(&self) -> bool {
        match self {
            Front::Fc(fc) => fc.wait_ready(WAIT).await,
            Front::Http(http) => http.wait_ready(WAIT).await,
        }
    }

    async fn invoke(&self) -> Result<(), String> {
        let reply = match self {
            Front::Fc(fc) => fc.invoke(&br#"{"hello":"world"}"#[..]).await,
            Front::Http(http) => http.post(&br#"{"hello":"world"}"#[..]).await,
        }
        .map_err(|e| format!("no reply: {e}"))?;
        if reply.status != 200 {
            return Err(format!("status {}", reply.status));
        }
        Ok(())
    }
}

/// The function process, killed when dropped.
struct Function(Child);

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One run: every request's round trip, and what the receiver got.
async fn run(
    bootstrap: &PathBuf,
    platform: Platform,
    flush: &str,
    requests: usize,
) -> Result<(Vec<Duration>, usize), String> {
    let receiver = OtlpReceiver::start().await.map_err(|e| e.to_string())?;
    let front = Front::start(platform).map_err(|e| e.to_string())?;
    let child = Command::new(bootstrap)
        .env_clear()
        .envs(front.env())
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        .env("LIGHT_RUNTIME_TELEMETRY_FLUSH", flush)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", bootstrap.display()))?;
    let _function = Function(child);
    if !front.wait_ready().await {
        return Err(format!("{platform:?}: the function never listened"));
    }
    for _ in 0..WARM_UP {
        front.invoke().await?;
    }
    let mut samples = Vec::with_capacity(requests);
    for _ in 0..requests {
        let started = Instant::now();
        front.invoke().await?;
        samples.push(started.elapsed());
    }
    let total = WARM_UP + requests;
    // Strict: already all there. Idle: the last export follows the delay.
    receiver
        .wait_until(WAIT, |r| r.spans().len() >= total)
        .await;
    Ok((samples, receiver.spans().len()))
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

async fn measure() -> Result<(), String> {
    let requests = number("--requests", 1000)?;
    let runs = number("--runs", 3)?.max(1);
    let release = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .parent()
        .map(PathBuf::from)
        .ok_or("no directory for this program")?;
    let bootstrap = release.join("examples/echo_full_stack");
    if !bootstrap.is_file() {
        return Err(format!(
            "{} not found; build it first, from the workspace root:\n  {FULL_STACK_BUILD_COMMAND}",
            bootstrap.display()
        ));
    }
    println!("strict-flush: {requests} sequential requests per run, {runs} runs per mode, after {WARM_UP} warm-up requests");
    println!(
        "{:<9} {:>8} {:>12} {:>12} {:>14}",
        "platform", "flush", "median µs", "p99 µs", "spans received"
    );
    for platform in [Platform::Fc, Platform::Knative] {
        let mut medians = [Vec::new(), Vec::new()];
        let mut p99s = [Vec::new(), Vec::new()];
        let mut received = [0, 0];
        for _ in 0..runs {
            for (at, flush) in ["auto", "strict"].into_iter().enumerate() {
                let (mut samples, spans) = run(&bootstrap, platform, flush, requests).await?;
                medians[at].push(micros(percentile(&mut samples, 50.0).unwrap_or_default()));
                p99s[at].push(micros(percentile(&mut samples, 99.0).unwrap_or_default()));
                received[at] += spans;
            }
        }
        for (at, flush) in ["idle", "strict"].into_iter().enumerate() {
            println!(
                "{:<9} {:>8} {:>12.1} {:>12.1} {:>9} of {}",
                format!("{platform:?}"),
                flush,
                median(&medians[at]).unwrap_or_default(),
                median(&p99s[at]).unwrap_or_default(),
                received[at],
                runs * (WARM_UP + requests),
            );
        }
        let added =
            median(&medians[1]).unwrap_or_default() - median(&medians[0]).unwrap_or_default();
        println!(
            "{:<9} strict adds {added:.1} µs per invocation (median)",
            format!("{platform:?}")
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("strict-flush: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(measure()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("strict-flush: {error}");
            ExitCode::FAILURE
        }
    }
}
