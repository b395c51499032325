//! `light-runtime watch`'s reload time for the `hello` example: from the
//! moment `examples/hello.rs` is saved to the first answer of the new
//! build (the watcher noticing, `cargo build` in the dev profile, the old
//! instance stopped, the new one started and answering).
//!
//! Each round appends a comment line to `examples/hello.rs` and invokes
//! the endpoint until an answer comes from a new instance (its
//! `Server-Timing` has `init`); the file is restored at the end, also on
//! failure. Prints every round and the median.
//!
//! ```text
//! cargo build -p light-runtime-cli --bin light-runtime
//! cargo build --release -p light-runtime-benches --bin watch-reload
//! target/release/watch-reload [--light-runtime target/debug/light-runtime] [--rounds 5]
//! ```
//! Run it from the workspace root; `watch` builds into `CARGO_TARGET_DIR`
//! (or `target/`), so the first build there is incremental when the
//! examples were built before.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The bound on every wait: a dev build of the example after a change.
const WAIT: Duration = Duration::from_secs(600);

/// Puts `examples/hello.rs` back as it was, whatever happens.
struct Restore {
    path: PathBuf,
    original: String,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, &self.original);
    }
}

/// The running `watch`, killed on drop (by its own pid).
struct Watch(Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1).cloned())
}

/// One invocation; returns whether it was a cold start, and the body.
fn invoke(endpoint: &str) -> Result<(bool, String), String> {
    let mut stream = TcpStream::connect(endpoint).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(WAIT))
        .map_err(|e| e.to_string())?;
    let body = r#"{"name":"Ada"}"#;
    let request = format!(
        "POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: {endpoint}\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .map_err(|e| format!("read: {e}"))?;
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    if !body.contains("hello, Ada") {
        return Err(format!("unexpected answer: {reply}"));
    }
    let cold = head.lines().any(|line| {
        line.to_ascii_lowercase().starts_with("server-timing:") && line.contains("init;dur=")
    });
    Ok((cold, body.to_owned()))
}

fn run() -> Result<Vec<Duration>, String> {
    let rounds: usize =
        option("--rounds").map_or(Ok(5), |n| n.parse().map_err(|_| "--rounds N"))?;
    let light_runtime = option("--light-runtime").unwrap_or("target/debug/light-runtime".into());
    let hello = Path::new("examples/hello.rs");
    let original = std::fs::read_to_string(hello).map_err(|e| {
        format!(
            "run from the workspace root: cannot read {}: {e}",
            hello.display()
        )
    })?;
    let _restore = Restore {
        path: hello.to_owned(),
        original: original.clone(),
    };
    let mut child = Command::new(&light_runtime)
        .args([
            "watch",
            "--port",
            "0",
            "--",
            "-p",
            "light-runtime-examples",
            "--example",
            "hello",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {light_runtime}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let _watch = Watch(child);
    let (lines, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let endpoint = loop {
        let line = receive
            .recv_timeout(WAIT)
            .map_err(|_| "watch printed no endpoint in time")?;
        if let Some(at) = line.split("at http://").nth(1) {
            break at.split_whitespace().next().unwrap_or_default().to_owned();
        }
    };
    invoke(&endpoint)?;
    let mut took = Vec::new();
    for round in 1..=rounds {
        let edited = format!("{original}// watch-reload round {round}\n");
        let saved = Instant::now();
        std::fs::write(hello, edited).map_err(|e| e.to_string())?;
        loop {
            let (cold, _) = invoke(&endpoint)?;
            if cold {
                break;
            }
            if saved.elapsed() > WAIT {
                return Err(format!("round {round}: no new build within {WAIT:?}"));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let elapsed = saved.elapsed();
        println!(
            "round {round}: save to first answer of the new build {:.2} s",
            elapsed.as_secs_f64()
        );
        took.push(elapsed);
        // Let the watcher settle before the next save.
        while receive.recv_timeout(Duration::from_millis(300)).is_ok() {}
    }
    Ok(took)
}

fn main() -> ExitCode {
    match run() {
        Ok(mut took) => {
            took.sort();
            let median = took[took.len() / 2];
            println!(
                "watch reload (hello, dev profile): median {:.2} s, min {:.2} s, max {:.2} s over {} rounds",
                median.as_secs_f64(),
                took[0].as_secs_f64(),
                took[took.len() - 1].as_secs_f64(),
                took.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("watch-reload: {error}");
            ExitCode::FAILURE
        }
    }
}
