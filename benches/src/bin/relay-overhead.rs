//! What the relay adds to an invocation's latency, on loopback: the echo
//! example under the Lambda emulator answering itself, against the same
//! echo relaying each invocation (`LIGHT_RUNTIME_RELAY`) to `light-runtime
//! relay`, which runs another echo under its own emulate session and sends
//! the signed answer back. Latency is measured where the platform sees it:
//! from the event's push to the emulator to the answer's arrival there,
//! one invocation at a time; the figures are medians and 90th percentiles.
//! A third figure is the laptop's part alone (the local build's emulate
//! session, POSTed to its own invoke endpoint back to back), for scale.
//!
//! The echo must have the relay compiled in (light-runtime's `relay`
//! feature; the examples crate leaves it out):
//!
//! ```text
//! cargo build --release -p light-runtime-examples --example echo --features light-runtime/relay
//! cargo build --release -p light-runtime-cli --bin light-runtime
//! cargo build --release -p light-runtime-benches --bin relay-overhead
//! target/release/relay-overhead [--light-runtime PATH] [--invocations 1000] [--warmup 100]
//! ```

use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use light_runtime_benches::bench_args::BenchArgs;
use light_runtime_benches::stats::percentile;
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use tokio::io::{AsyncBufReadExt, BufReader};

const NUMBERS: [&str; 2] = ["--invocations", "--warmup"];
const SECRET: &str = "relay-overhead-bench-secret-0123";
const WAIT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("relay-overhead: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = BenchArgs::from_env("relay-overhead", &NUMBERS)?;
    let invocations = args.number("--invocations", 1000)?;
    let warmup = args.number("--warmup", 100)?;
    let release = args.release_dir()?;
    let echo = existing(release.join("examples/echo"), "cargo build --release -p light-runtime-examples --example echo --features light-runtime/relay")?;
    let light_runtime = match std::env::args()
        .skip_while(|a| a != "--light-runtime")
        .nth(1)
    {
        Some(path) => PathBuf::from(path),
        None => existing(
            release.join("light-runtime"),
            "cargo build --release -p light-runtime-cli --bin light-runtime",
        )?,
    };

    let direct = measure(&echo, &[], invocations, warmup).await?;

    let mut relay = tokio::process::Command::new(&light_runtime)
        .args([
            "relay",
            "--listen",
            "127.0.0.1:0",
            "--platform",
            "aws",
            "--secret-env",
            "RELAY_BENCH_SECRET",
            "--",
        ])
        .arg(&echo)
        .env("RELAY_BENCH_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", light_runtime.display()))?;
    let mut lines = BufReader::new(relay.stdout.take().expect("piped")).lines();
    // "relay: listening on ADDR for aws invocations; the local build's
    // invoke endpoint is ENDPOINT"
    let (url, local_endpoint) = tokio::time::timeout(WAIT, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.strip_prefix("relay: listening on ") {
                let address = rest.split_whitespace().next()?;
                let endpoint = rest.rsplit(' ').next()?;
                return Some((format!("http://{address}"), endpoint.to_owned()));
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or("light-runtime relay did not say where it listens")?;
    // The relay prints every invocation; keep its pipe drained.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let vars = [
        ("LIGHT_RUNTIME_RELAY", url.as_str()),
        ("LIGHT_RUNTIME_RELAY_SECRET", SECRET),
    ];
    let relayed = measure(&echo, &vars, invocations, warmup).await?;
    let emulated = measure_endpoint(&local_endpoint, invocations, warmup).await?;
    drop(relay);

    let report = |name: &str, samples: &mut Vec<Duration>| {
        let median = percentile(samples, 50.0).unwrap_or_default();
        let p90 = percentile(samples, 90.0).unwrap_or_default();
        println!(
            "{name:<14} median {:>8.1} µs   p90 {:>8.1} µs",
            micros(median),
            micros(p90)
        );
        median
    };
    let (mut direct, mut relayed, mut emulated) = (direct, relayed, emulated);
    println!("{invocations} invocations each, after {warmup} warm-up, one at a time, on loopback");
    let without = report("without relay", &mut direct);
    let with = report("with relay", &mut relayed);
    report("laptop alone", &mut emulated);
    println!(
        "(laptop alone: the local build's emulate session, POSTed to its invoke endpoint back \
         to back; not a part of `with relay` to subtract: the session freezes the build between \
         invocations, which back-to-back requests may meet more often)"
    );
    println!(
        "relay round trip adds {:.1} µs per invocation (median), {:.2}× the direct latency",
        micros(with) - micros(without),
        micros(with) / micros(without).max(f64::MIN_POSITIVE)
    );
    Ok(())
}

/// Times `invocations` events POSTed to the invoke endpoint at `address`
/// (`127.0.0.1:PORT`) on one keep-alive connection, after `warmup`.
async fn measure_endpoint(
    address: &str,
    invocations: usize,
    warmup: usize,
) -> Result<Vec<Duration>, String> {
    use http_body_util::{BodyExt, Full};
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|error| format!("cannot connect to the local endpoint {address}: {error}"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|error| format!("cannot talk HTTP to {address}: {error}"))?;
    tokio::spawn(connection);
    let mut samples = Vec::with_capacity(invocations);
    for n in 0..warmup + invocations {
        let body = serde_json::json!({ "n": n }).to_string();
        let request = http::Request::post("/2015-03-31/functions/_/invocations")
            .header("host", address)
            .body(Full::new(bytes::Bytes::from(body)))
            .map_err(|error| error.to_string())?;
        let started = Instant::now();
        let reply = sender
            .send_request(request)
            .await
            .map_err(|error| format!("invocation {n} failed: {error}"))?;
        let answer = reply
            .into_body()
            .collect()
            .await
            .map_err(|error| error.to_string())?
            .to_bytes();
        let took = started.elapsed();
        let echoed = serde_json::from_slice::<serde_json::Value>(&answer).ok();
        if echoed != Some(serde_json::json!({ "n": n })) {
            return Err(format!(
                "invocation {n} at {address} was not echoed: {answer:?}"
            ));
        }
        if n >= warmup {
            samples.push(took);
        }
    }
    Ok(samples)
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn existing(path: PathBuf, build: &str) -> Result<PathBuf, String> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing; build it with `{build}`",
            path.display()
        ))
    }
}

/// Runs `echo` under a fresh Lambda emulator with `vars` and times
/// `invocations` after `warmup`; fails if the answer is not the echo's.
async fn measure(
    echo: &Path,
    vars: &[(&str, &str)],
    invocations: usize,
    warmup: usize,
) -> Result<Vec<Duration>, String> {
    let emulator = LambdaEmulator::start()
        .await
        .map_err(|error| format!("cannot start the Lambda emulator: {error}"))?;
    let _cloud = tokio::process::Command::new(echo)
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env("AWS_LAMBDA_FUNCTION_NAME", "echo")
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", echo.display()))?;
    let mut samples = Vec::with_capacity(invocations);
    for n in 0..warmup + invocations {
        let event = Event::json(serde_json::json!({ "n": n })).deadline_in(WAIT);
        let started = Instant::now();
        let id = emulator.push(event);
        let result = emulator
            .result(&id, WAIT)
            .await
            .ok_or_else(|| format!("invocation {n} got no answer within {WAIT:?}"))?;
        let took = started.elapsed();
        if result.body_json() != Some(serde_json::json!({ "n": n })) {
            return Err(format!(
                "invocation {n} was not echoed ({:?} {:?}); with the relay, the echo must be built \
                 with `--features light-runtime/relay`",
                result.error_type(),
                result.error_message()
            ));
        }
        if n >= warmup {
            samples.push(took);
        }
    }
    Ok(samples)
}
