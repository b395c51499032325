//! What proxy mode costs, on the Lambda emulator: the CPU of the proxy
//! process per invocation beside its child's (`awslambdaric` with
//! `tests/python/handler.py`), against `awslambdaric` talking to the
//! emulator directly; and the cold start (spawn to the first `next` the
//! platform sees) of a `lambda_runtime` function alone and behind the proxy.
//!
//! ```text
//! cargo build --release -p light-runtime-cli --bin light-runtime
//! cargo build --release -p light-runtime-benches --bin echo-lambda-runtime
//! cargo run --release -p light-runtime-cli --example proxy_overhead
//! ```
//!
//! CPU is read from `/proc/<pid>/task/*/schedstat` (time on a CPU, in
//! nanoseconds, summed over the process's threads), so it needs Linux; the
//! 10 ms ticks of `/proc/<pid>/stat` were too coarse to tell the proxy's
//! changes apart. Cold starts are medians. Figures on a shared machine
//! move by tens of percent: run it on a quiet one.
//!
//! `PROXY_OVERHEAD_ATTACH='strace -c -f -o proxy.strace -p {pid}'` attaches
//! a tool to the proxy over the measured invocations (syscalls per
//! invocation: divide by 3000); `valgrind --tool=callgrind` on the proxy
//! gives its user-space instructions.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::json;

const INVOCATIONS: usize = 3000;
const COLD_STARTS: usize = 30;
const WAIT: Duration = Duration::from_secs(30);

/// `target/release`, where this example and the binaries it runs live.
fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the example's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target/release/examples/...")
        .to_owned()
}

/// CPU time of `pid` so far (every thread's, user and kernel), in
/// milliseconds.
fn cpu_ms(pid: u32) -> f64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc/<pid>/task");
    let nanoseconds: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .map(|stat| {
            let on_cpu = stat.split(' ').next().expect("schedstat's first field");
            on_cpu.parse::<u64>().expect("nanoseconds on a CPU")
        })
        .sum();
    nanoseconds as f64 / 1e6
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        if after_name.split(' ').nth(1) == Some(&pid.to_string()) {
            children.push(child);
        }
    }
    children
}

fn command(program: &Path, args: &[&str], emulator: &LambdaEmulator) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env("AWS_LAMBDA_FUNCTION_NAME", "echo")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env(
            "PYTHONPATH",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command
}

/// One invocation, answered.
async fn invoke(emulator: &LambdaEmulator, n: usize) {
    let id = emulator.push(Event::json(json!({"order": n, "items": ["a", "b"]})));
    emulator.result(&id, WAIT).await.expect("answered");
}

/// `PROXY_OVERHEAD_ATTACH`, e.g. `strace -c -f -o proxy.strace -p {pid}`:
/// a tool attached to the proxy (`{pid}`) over the measured invocations,
/// then stopped with SIGINT, so its counts are for exactly those.
fn attach(pid: u32) -> Option<std::process::Child> {
    let tool = std::env::var("PROXY_OVERHEAD_ATTACH").ok()?;
    let words: Vec<String> = tool
        .split_whitespace()
        .map(|word| word.replace("{pid}", &pid.to_string()))
        .collect();
    let (program, args) = words.split_first()?;
    let attached = std::process::Command::new(program)
        .args(args)
        .spawn()
        .expect("PROXY_OVERHEAD_ATTACH's program");
    // strace and perf need a moment to attach; a miss only loses counts.
    std::thread::sleep(Duration::from_secs(1));
    Some(attached)
}

/// Stops an attached tool as Ctrl-C would, so that it prints its summary.
fn detach(attached: Option<std::process::Child>) {
    if let Some(mut attached) = attached {
        let _ = std::process::Command::new("kill")
            .args(["-INT", &attached.id().to_string()])
            .status();
        let _ = attached.wait();
    }
}

/// CPU per invocation, in ms: (the process started, its children). With
/// `traced`, `PROXY_OVERHEAD_ATTACH` watches the process meanwhile.
async fn cpu_per_invocation(program: &Path, args: &[&str], traced: bool) -> (f64, f64) {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut process = command(program, args, &emulator).spawn().unwrap();
    assert!(emulator.wait_next_waiting(1, WAIT).await, "it polls next");
    let pid = process.id().unwrap();
    let children = children_of(pid);
    for n in 0..100 {
        invoke(&emulator, n).await;
    }
    let attached = if traced { attach(pid) } else { None };
    let before = (
        cpu_ms(pid),
        children.iter().map(|c| cpu_ms(*c)).sum::<f64>(),
    );
    for n in 0..INVOCATIONS {
        invoke(&emulator, n).await;
    }
    let after = (
        cpu_ms(pid),
        children.iter().map(|c| cpu_ms(*c)).sum::<f64>(),
    );
    detach(attached);
    process.kill().await.ok();
    let per = |used: f64| used / INVOCATIONS as f64;
    (per(after.0 - before.0), per(after.1 - before.1))
}

/// Median time from spawn to the first `next` the emulator sees.
async fn cold_start(program: &Path, args: &[&str]) -> Duration {
    let mut times = Vec::with_capacity(COLD_STARTS);
    for _ in 0..COLD_STARTS {
        let emulator = LambdaEmulator::start().await.unwrap();
        let started = Instant::now();
        let mut process = command(program, args, &emulator).spawn().unwrap();
        assert!(emulator.wait_next_waiting(1, WAIT).await, "it polls next");
        times.push(started.elapsed());
        process.kill().await.ok();
    }
    times.sort();
    times[COLD_STARTS / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let release = release_dir();
    let proxy = release.join("light-runtime");
    let echo = release.join("echo-lambda-runtime");
    for needed in [&proxy, &echo] {
        assert!(
            needed.is_file(),
            "{} is missing: build it first (see the example's docs)",
            needed.display()
        );
    }
    let python = Path::new("python3");
    let ric = ["-m", "awslambdaric", "handler.echo"];
    let proxied_ric = [
        "proxy",
        "--",
        "python3",
        "-m",
        "awslambdaric",
        "handler.echo",
    ];

    let (direct, _) = cpu_per_invocation(python, &ric, false).await;
    let (proxy_cpu, child_cpu) = cpu_per_invocation(&proxy, &proxied_ric, true).await;
    println!(
        "CPU per invocation ({INVOCATIONS}): awslambdaric alone {direct:.3} ms; behind the proxy \
         {child_cpu:.3} ms + the proxy {proxy_cpu:.3} ms = {:.3} ms ({:.2}x)",
        child_cpu + proxy_cpu,
        (child_cpu + proxy_cpu) / direct
    );

    let echo_path = echo.display().to_string();
    let alone = cold_start(&echo, &[]).await;
    let behind = cold_start(&proxy, &["proxy", "--", &echo_path]).await;
    println!(
        "cold start to the first next (median of {COLD_STARTS}): lambda_runtime echo alone \
         {alone:?}, behind the proxy {behind:?} (+{:?})",
        behind.saturating_sub(alone)
    );
}
