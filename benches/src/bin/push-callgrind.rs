//! Instructions per request of the push adapters (Alibaba FC, plain HTTP)
//! and of the bare hyper floor, under `valgrind --tool=callgrind`: each
//! server answers a short and a long series of the request `push-wrk`
//! sends; the difference of the two totals divided by the difference of the
//! counts is the per-request cost, free of start-up and shutdown. Load on
//! the machine does not move these counts, unlike `push-wrk`'s requests/s.
//!
//! Requests go out over `--connections` keep-alive connections, one on
//! each before any answer is read, so the server wakes with several ready
//! at once, as under `wrk`.
//!
//! ```text
//! cargo build --release --example echo_raw -p light-runtime-examples
//! cargo build --release -p light-runtime-benches --bin hyper-floor --bin push-callgrind
//! target/release/push-callgrind [--short 200] [--long 1200] [--connections 4] [--function examples/echo_raw]
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use light_runtime_benches::callgrind;

const BODY: &str = r#"{"hello":"world","n":[1,2,3]}"#;

/// The request `push-wrk` sends: FC's event invocation, which the plain
/// HTTP adapter and the floor answer as well.
fn request() -> String {
    format!(
        "POST /invoke HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/octet-stream\r\n\
         x-fc-request-id: wrk-request\r\nx-fc-control-path: /invoke\r\n\
         x-fc-function-name: echo\r\nx-fc-function-memory: 128\r\n\
         x-fc-region: cn-hangzhou\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
}

/// A server to measure: its name, binary and environment.
type Server = (&'static str, PathBuf, Vec<(&'static str, String)>);

fn option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|at| args.get(at + 1).cloned())
}

fn number(name: &str, default: usize) -> usize {
    option(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), String> {
    let short = number("--short", 200);
    let long = number("--long", 1200);
    let connections = number("--connections", 4).max(1);
    let release = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release");
    let function = release.join(option("--function").unwrap_or("examples/echo_raw".into()));
    let port = 18_090;
    let servers: [Server; 3] = [
        (
            "floor (bare hyper)",
            release.join("hyper-floor"),
            vec![("PORT", port.to_string())],
        ),
        (
            "aliyun_fc adapter",
            function.clone(),
            vec![
                ("FC_CUSTOM_LISTEN_PORT", port.to_string()),
                ("FC_FUNC_CODE_PATH", "/code".into()),
                ("LIGHT_RUNTIME_LISTEN_HOST", "127.0.0.1".into()),
            ],
        ),
        (
            "http adapter",
            function,
            vec![
                ("PORT", port.to_string()),
                ("K_SERVICE", "echo".into()),
                ("LIGHT_RUNTIME_LISTEN_HOST", "127.0.0.1".into()),
            ],
        ),
    ];
    println!("{connections} connections, {short} and {long} requests");
    for (name, binary, env) in &servers {
        let a = run(name, binary, env, port, connections, short)?;
        let b = run(name, binary, env, port, connections, long)?;
        let per = (b as f64 - a as f64) / (long - short) as f64;
        println!("{name:<20} {per:>8.0} instructions per request");
    }
    Ok(())
}

/// Total instructions of `binary` answering `requests` requests; the
/// profile stays in the temporary directory, named after `name`, for
/// `callgrind_annotate`.
fn run(
    name: &str,
    binary: &Path,
    env: &[(&str, String)],
    port: u16,
    connections: usize,
    requests: usize,
) -> Result<u64, String> {
    let label: String = name
        .split_whitespace()
        .next()
        .unwrap_or("server")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let out = std::env::temp_dir().join(format!("light-runtime-push-{label}-{requests}.callgrind"));
    let _ = std::fs::remove_file(&out);
    let mut child = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(binary)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start valgrind: {e}"))?;
    let result = drive(port, connections, requests);
    stop(&mut child);
    result?;
    callgrind::total_instructions(&out)
}

fn drive(port: u16, connections: usize, requests: usize) -> Result<(), String> {
    let started = Instant::now();
    let mut streams = Vec::new();
    while streams.len() < connections {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                streams.push(stream);
            }
            Err(_) if started.elapsed() < Duration::from_secs(60) => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(format!("nothing listened on 127.0.0.1:{port}: {e}")),
        }
    }
    let request = request();
    let mut left = requests;
    while left > 0 {
        let batch = left.min(connections);
        for stream in &mut streams[..batch] {
            stream
                .write_all(request.as_bytes())
                .map_err(|e| e.to_string())?;
        }
        for stream in &mut streams[..batch] {
            read_response(stream)?;
        }
        left -= batch;
    }
    Ok(())
}

/// Reads one response (head and `content-length` body); fails unless 200.
fn read_response(stream: &mut TcpStream) -> Result<(), String> {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 1];
    while !buffer.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).map_err(|e| e.to_string())?;
        buffer.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buffer).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        return Err(format!("not a 200 answer:\n{head}"));
    }
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no content-length:\n{head}"))?;
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).map_err(|e| e.to_string())
}

/// SIGTERM, so the adapters shut down in order and callgrind writes its
/// file; the floor has no handler and dies, which callgrind also survives.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}
