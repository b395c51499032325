//! The relay's tests' pieces: a "cloud" (a light-runtime function running
//! in the test process under the Lambda or FC emulator, with the relay
//! variables), `light-runtime relay` spawned as a user runs it, and fake
//! laptops that misbehave on purpose.

#![allow(dead_code, unreachable_pub)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::layers::relay::signature::{Direction, Secret};
use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::lambda::LambdaEmulator;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::task::JoinHandle;

/// Every wait in these tests.
pub const WAIT: Duration = Duration::from_secs(20);
/// The secret both ends share.
pub const SECRET: &str = "relay-test-secret-0123456789";

/// The cloud instance's own handler: says where it ran.
async fn cloud_handler(event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(json!({ "handled_by": "cloud", "event": event }))
}

/// A light-runtime function running in this process.
pub struct Cloud {
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), light_runtime::RuntimeError>>,
}

impl Cloud {
    fn start(mut vars: Vec<(String, String)>, relay: &[(&str, &str)]) -> Cloud {
        vars.extend(relay.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(
            Runtime::builder()
                .with_environment(Environment::from_vars(vars))
                .run_until(cloud_handler, shutdown.clone()),
        );
        Cloud { shutdown, task }
    }

    /// The function on AWS, under `emulator`, with the relay `variables`.
    pub fn aws(emulator: &LambdaEmulator, relay: &[(&str, &str)]) -> Cloud {
        let vars = vec![
            ("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api()),
            ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), "orders".to_owned()),
        ];
        Cloud::start(vars, relay)
    }

    /// The function on FC, under `emulator`, with the relay `variables`.
    pub fn fc(emulator: &FcEmulator, relay: &[(&str, &str)]) -> Cloud {
        Cloud::start(emulator.env(), relay)
    }

    /// Shuts the function down.
    pub async fn stop(self) {
        light_runtime_testkit::stop_runtime(&self.shutdown, self.task).await;
    }
}

/// The relay variables for `url`.
pub fn relay_vars<'a>(url: &'a str, secret: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("LIGHT_RUNTIME_RELAY", url),
        ("LIGHT_RUNTIME_RELAY_SECRET", secret),
    ]
}

/// `light-runtime relay` running, its output collected.
pub struct RelayCommand {
    child: tokio::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

fn collect(
    stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    into: Arc<Mutex<Vec<String>>>,
    echo: &'static str,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("[{echo}] {line}");
            into.lock().unwrap().push(line);
        }
    });
}

impl RelayCommand {
    /// Starts `light-runtime relay --platform PLATFORM -- BOOTSTRAP` on a
    /// free port with `secret`, and waits until it listens.
    pub async fn start(platform: &str, secret: &str, bootstrap: &std::path::Path) -> RelayCommand {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"))
            .args([
                "relay",
                "--listen",
                "127.0.0.1:0",
                "--platform",
                platform,
                "--secret-env",
                "TEST_RELAY_SECRET",
                "--function",
                "orders",
                "--",
            ])
            .arg(bootstrap)
            .env("TEST_RELAY_SECRET", secret)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (stdout, stderr) = (Arc::default(), Arc::default());
        collect(
            child.stdout.take().unwrap(),
            Arc::clone(&stdout),
            "relay stdout",
        );
        collect(
            child.stderr.take().unwrap(),
            Arc::clone(&stderr),
            "relay stderr",
        );
        let mut relay = RelayCommand {
            child,
            url: String::new(),
            stdout,
            stderr,
        };
        let listening = relay
            .wait_for_stdout("relay: listening on ")
            .await
            .expect("the relay says where it listens");
        let address = listening["relay: listening on ".len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        relay.url = format!("http://{address}");
        relay
    }

    /// The first stdout line containing `text`, waiting up to [`WAIT`].
    pub async fn wait_for_stdout(&self, text: &str) -> Option<String> {
        wait_for_line(&self.stdout, text).await
    }

    /// The first stderr line containing `text`, waiting up to [`WAIT`].
    pub async fn wait_for_stderr(&self, text: &str) -> Option<String> {
        wait_for_line(&self.stderr, text).await
    }

    /// The stdout lines so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// Stops the relay (SIGTERM) and waits for it to exit.
    pub async fn stop(mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id().unwrap() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the relay exits after SIGTERM")
            .unwrap()
    }
}

async fn wait_for_line(lines: &Mutex<Vec<String>>, text: &str) -> Option<String> {
    let found = || {
        lines
            .lock()
            .unwrap()
            .iter()
            .find(|line| line.contains(text))
            .cloned()
    };
    tokio::time::timeout(WAIT, async {
        loop {
            if let Some(line) = found() {
                return line;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .ok()
}

/// How a fake laptop treats each invocation.
#[derive(Clone, Copy, Debug)]
pub enum Laptop {
    /// Reads it and never answers, keeping the connection open.
    Silent,
    /// Reads it and closes the connection.
    HangsUp,
    /// Answers `200` with a response signed by another secret.
    Forges,
}

/// A fake laptop on a free port: its URL, and how many invocations reached it.
pub async fn fake_laptop(behaviour: Laptop) -> (String, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let reached = Arc::new(Mutex::new(0));
    let count = Arc::clone(&reached);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let Some((head, body)) = read_request(&mut stream).await else {
                    return;
                };
                *count.lock().unwrap() += 1;
                match behaviour {
                    Laptop::Silent => {
                        // Hold the connection until the test ends.
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                    Laptop::HangsUp => drop(stream),
                    Laptop::Forges => {
                        let request_id = head
                            .lines()
                            .find_map(|line| {
                                line.strip_prefix("x-light-runtime-relay-request-id: ")
                            })
                            .unwrap_or("?")
                            .trim()
                            .to_owned();
                        let _ = body;
                        let forged = br#"{"outcome":"response","body":"eyJmb3JnZWQiOnRydWV9"}"#;
                        let other = Secret::new("not-the-shared-secret-at-all").unwrap();
                        let mut reply = String::from("HTTP/1.1 200 OK\r\n");
                        for (name, value) in other.sign(Direction::Answer, &request_id, forged) {
                            reply.push_str(&format!("{name}: {value}\r\n"));
                        }
                        reply.push_str(&format!("content-length: {}\r\n\r\n", forged.len()));
                        let _ = stream.write_all(reply.as_bytes()).await;
                        let _ = stream.write_all(forged).await;
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                }
            });
        }
    });
    (url, reached)
}

/// Reads one request: its head (header names lower-cased) and body.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            return Some((head, buffer[end + 4..end + 4 + length].to_vec()));
        }
    }
}

/// A port nothing listens on.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}
