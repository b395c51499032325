//! Push adapters under `wrk` on loopback, against the floor, in one run.
//!
//! Starts, one at a time, the bare hyper floor (`hyper-floor`), the `echo`
//! example as an Alibaba FC custom runtime and as a plain-HTTP (Knative)
//! function, drives each with `wrk` (one thread, `POST /invoke` with FC's
//! headers and a small JSON body: the same request for all three), and
//! prints requests per second, the ratio to the floor, and p99 latency.
//! Rounds alternate the three servers; the median round is reported.
//!
//! ```text
//! cargo build --release --example echo -p light-runtime-examples
//! cargo build --release -p light-runtime-benches --bin hyper-floor --bin push-wrk
//! target/release/push-wrk [--connections 50] [--seconds 5] [--rounds 3] [--raw]
//! ```

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SCRIPT: &str = r#"
wrk.method = "POST"
wrk.path = "/invoke"
wrk.body = '{"hello":"world","n":[1,2,3]}'
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["x-fc-request-id"] = "wrk-request"
wrk.headers["x-fc-control-path"] = "/invoke"
wrk.headers["x-fc-function-name"] = "echo"
wrk.headers["x-fc-function-memory"] = "128"
wrk.headers["x-fc-region"] = "cn-hangzhou"
"#;

struct Server {
    name: &'static str,
    binary: PathBuf,
    env: Vec<(&'static str, String)>,
}

struct Figures {
    requests_per_second: f64,
    p99_ms: f64,
}

fn option(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|at| args.get(at + 1)?.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), String> {
    let connections = option("--connections", 50);
    let seconds = option("--seconds", 5);
    let rounds = option("--rounds", 3);
    let release = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release");
    // `--raw`: the function answers the event's own bytes (examples/echo_raw),
    // as the floor does; otherwise it is the JSON echo (examples/echo).
    let function = if std::env::args().any(|a| a == "--raw") {
        "examples/echo_raw"
    } else {
        "examples/echo"
    };
    let port = 18_080;
    let servers = [
        Server {
            name: "floor (bare hyper)",
            binary: release.join("hyper-floor"),
            env: vec![("PORT", port.to_string())],
        },
        Server {
            name: "aliyun_fc adapter",
            binary: release.join(function),
            env: vec![
                ("FC_CUSTOM_LISTEN_PORT", port.to_string()),
                ("FC_FUNC_CODE_PATH", "/code".into()),
                ("LIGHT_RUNTIME_LISTEN_HOST", "127.0.0.1".into()),
            ],
        },
        Server {
            name: "http adapter",
            binary: release.join(function),
            env: vec![
                ("PORT", port.to_string()),
                ("K_SERVICE", "echo".into()),
                ("LIGHT_RUNTIME_LISTEN_HOST", "127.0.0.1".into()),
            ],
        },
    ];
    let script = std::env::temp_dir().join("light-runtime-push-wrk.lua");
    std::fs::write(&script, SCRIPT)
        .map_err(|e| format!("cannot write {}: {e}", script.display()))?;
    let mut results: Vec<Vec<Figures>> = servers.iter().map(|_| Vec::new()).collect();
    for _ in 0..rounds {
        for (server, figures) in servers.iter().zip(&mut results) {
            figures.push(measure(server, port, &script, connections, seconds)?);
        }
    }
    println!(
        "wrk -t1 -c{connections} -d{seconds}s, median of {rounds} rounds, loopback, function {function}"
    );
    println!(
        "{:<20} {:>12} {:>9} {:>10}",
        "server", "requests/s", "x floor", "p99 ms"
    );
    let median = |figures: &mut Vec<Figures>| {
        figures.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
        let middle = &figures[figures.len() / 2];
        (middle.requests_per_second, middle.p99_ms)
    };
    let mut medians: Vec<(f64, f64)> = results.iter_mut().map(median).collect();
    let floor = medians[0].0;
    for (server, (rps, p99)) in servers.iter().zip(medians.drain(..)) {
        println!(
            "{:<20} {:>12.0} {:>9.3} {:>10.3}",
            server.name,
            rps,
            rps / floor,
            p99
        );
    }
    Ok(())
}

fn measure(
    server: &Server,
    port: u16,
    script: &Path,
    connections: u64,
    seconds: u64,
) -> Result<Figures, String> {
    // Server on CPU 0, wrk on CPU 1: on a 2-core machine, letting the
    // scheduler place them moves every figure by about 10 % from run to run.
    let mut child = pinned(0, &server.binary)
        .envs(server.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot start {} ({}): {e}; build it first",
                server.name,
                server.binary.display()
            )
        })?;
    let result = wait_listening(port).and_then(|()| run_wrk(port, script, connections, seconds));
    stop(&mut child);
    result.map_err(|e| format!("{}: {e}", server.name))
}

fn wait_listening(port: u16) -> Result<(), String> {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            return Err(format!("nothing listened on 127.0.0.1:{port} within 10 s"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// `program` under `taskset -c <cpu>`, or unpinned where `taskset` is missing.
fn pinned(cpu: u32, program: &Path) -> Command {
    let has_taskset = Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !has_taskset {
        return Command::new(program);
    }
    let mut command = Command::new("taskset");
    command.args(["-c", &cpu.to_string()]).arg(program);
    command
}

fn run_wrk(port: u16, script: &Path, connections: u64, seconds: u64) -> Result<Figures, String> {
    let output = pinned(1, Path::new("wrk"))
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .map_err(|e| format!("cannot run wrk (apt-get install -y wrk): {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        return Err(format!("some answers were not 2xx:\n{text}"));
    }
    let requests_per_second = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let p99_ms = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .and_then(|v| milliseconds(v.trim()))
        .ok_or_else(|| format!("no 99% latency in wrk's output:\n{text}"))?;
    Ok(Figures {
        requests_per_second,
        p99_ms,
    })
}

/// `812.00us`, `1.23ms`, `2.00s` in milliseconds.
fn milliseconds(text: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else {
        (text.strip_suffix('s')?, 1000.0)
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}
