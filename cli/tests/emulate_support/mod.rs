//! What the emulate tests share: the built `light-runtime emulate` started
//! as a user starts it (endpoint on a free port, read from its first line),
//! raw HTTP/1.1 requests to its endpoint as `curl` sends them, its stdout
//! read line by line, and a process's state from `/proc`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The bound on every wait in these tests.
pub(crate) const WAIT: Duration = Duration::from_secs(60);

/// A running `light-runtime emulate`.
pub(crate) struct Emulate {
    child: Child,
    reader: Option<std::thread::JoinHandle<()>>,
    /// `127.0.0.1:PORT` of the invoke endpoint.
    pub(crate) endpoint: String,
    lines: Arc<(Mutex<Vec<String>>, Condvar)>,
}

/// The stdout lines of an emulate, shared with its reading thread.
pub(crate) struct LinesHandle(Arc<(Mutex<Vec<String>>, Condvar)>);

impl LinesHandle {
    /// The lines printed (all of them once `interrupt` returned).
    pub(crate) fn lock(&self) -> std::sync::LockResult<std::sync::MutexGuard<'_, Vec<String>>> {
        self.0 .0.lock()
    }
}

/// One reply read off the wire.
#[derive(Debug)]
pub(crate) struct RawReply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl RawReply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Whether `Server-Timing` reports an init: this invocation cold-started.
    pub(crate) fn cold(&self) -> bool {
        self.header("server-timing")
            .is_some_and(|timing| timing.contains("init;dur="))
    }
}

impl Emulate {
    /// `light-runtime emulate --port 0 ARGS -- BOOTSTRAP`, with `env` added
    /// to its environment.
    pub(crate) fn start(args: &[&str], bootstrap: &[String], env: &[(&str, String)]) -> Emulate {
        let mut command = Command::new(env!("CARGO_BIN_EXE_light-runtime"));
        command
            .arg("emulate")
            .args(["--port", "0"])
            .args(args)
            .arg("--")
            .args(bootstrap);
        for (key, value) in env {
            command.env(key, value);
        }
        Emulate::launch(command)
    }

    /// `light-runtime watch --port 0 ARGS` in folder `dir`, building into
    /// `dir/target`.
    pub(crate) fn watch(dir: &Path, args: &[&str]) -> Emulate {
        let mut command = Command::new(env!("CARGO_BIN_EXE_light-runtime"));
        command
            .arg("watch")
            .args(["--port", "0"])
            .args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", dir.join("target"));
        Emulate::launch(command)
    }

    /// Starts `command` (an `emulate` or a `watch`) and waits for its
    /// endpoint line.
    pub(crate) fn launch(mut command: Command) -> Emulate {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().expect("start light-runtime");
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let shared = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                println!("emulate| {line}");
                let (lines, changed) = &*shared;
                lines.lock().unwrap().push(line);
                changed.notify_all();
            }
        });
        let mut emulate = Emulate {
            child,
            reader: Some(reader),
            endpoint: String::new(),
            lines,
        };
        let first = emulate.wait_line("at http://127.0.0.1:");
        let at = first.split("at http://").nth(1).unwrap();
        emulate.endpoint = at.split_whitespace().next().unwrap().to_owned();
        emulate
    }

    /// Waits for a stdout line containing `text` and returns it.
    pub(crate) fn wait_line(&self, text: &str) -> String {
        self.wait_lines(text, 1).pop().unwrap()
    }

    /// Waits for `count` stdout lines containing `text`; returns them all.
    pub(crate) fn wait_lines(&self, text: &str, count: usize) -> Vec<String> {
        let (lines, changed) = &*self.lines;
        let deadline = Instant::now() + WAIT;
        let mut guard = lines.lock().unwrap();
        loop {
            let found: Vec<String> = guard.iter().filter(|l| l.contains(text)).cloned().collect();
            if found.len() >= count {
                return found;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {count} stdout lines with `{text}` within {WAIT:?}; got:\n{}",
                guard.join("\n")
            );
            guard = changed.wait_timeout(guard, left).unwrap().0;
        }
    }

    /// The lines printed, kept after the command ends (read them once
    /// [`interrupt`](Self::interrupt) returned).
    pub(crate) fn lines_handle(&self) -> LinesHandle {
        LinesHandle(self.lines.clone())
    }

    /// Everything printed so far.
    pub(crate) fn output(&self) -> String {
        self.lines.0.lock().unwrap().join("\n")
    }

    /// The pid of the `n`th instance started (1-based), from its line.
    pub(crate) fn instance_pid(&self, n: usize) -> u32 {
        let started = self.wait_lines("started: pid ", n);
        let line = &started[n - 1];
        let pid = line.split("pid ").nth(1).unwrap();
        pid.split(',').next().unwrap().parse().unwrap()
    }

    /// `POST /2015-03-31/functions/function/invocations` with `event`.
    pub(crate) fn invoke(&self, event: &str) -> RawReply {
        self.invoke_with(event, &[])
    }

    /// The same with extra request headers.
    pub(crate) fn invoke_with(&self, event: &str, headers: &[(&str, &str)]) -> RawReply {
        self.request(
            "POST",
            "/2015-03-31/functions/function/invocations",
            headers,
            event,
        )
    }

    /// A raw HTTP/1.1 request, `Connection: close`, as `curl` sends it.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> RawReply {
        let mut stream = TcpStream::connect(&self.endpoint).expect("connect to the endpoint");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\
             Connection: close\r\nContent-Length: {}\r\n",
            self.endpoint,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read the reply");
        parse_reply(&raw)
    }

    /// SIGINT (Ctrl-C), then waits for the command to exit; its status.
    pub(crate) fn interrupt(mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Its stdout is closed: every line it printed is read.
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return status;
            }
            assert!(Instant::now() < deadline, "emulate did not stop on Ctrl-C");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Emulate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_reply(raw: &[u8]) -> RawReply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a whole HTTP head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    RawReply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let Some(end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return body;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 2 + size + 2..];
    }
}

/// The state letter of process `pid` in `/proc` (`T`: stopped); `None`
/// once it is gone (or a zombie reaped).
pub(crate) fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// `cli/tests/python`.
pub(crate) fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// `python3 FILE ARGS` for a script in `cli/tests/python`.
pub(crate) fn python(script: &str, args: &[&str]) -> Vec<String> {
    let mut command = vec![
        "python3".to_owned(),
        python_dir().join(script).display().to_string(),
    ];
    command.extend(args.iter().map(|a| a.to_string()));
    command
}
