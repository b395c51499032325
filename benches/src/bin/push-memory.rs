//! Peak memory of a push bootstrap under maximum-size payloads, and the
//! time SIGTERM takes with a slow client, on Alibaba FC and plain HTTP.
//!
//! For each platform, a fresh `echo` process (the release example) is sent
//! one, then (in another fresh process) four concurrent payloads of the
//! platform's largest size (32 MiB, a JSON string); its peak resident set
//! (`VmHWM` from `/proc/<pid>/status`) is read once all are answered. Then
//! a fresh process gets a client that sends a request head and trickles its
//! body, a SIGTERM, and the time until it exits is measured.
//!
//! ```text
//! cargo build --release --example echo -p light-runtime-examples
//! cargo run -p light-runtime-benches --bin push-memory -- [--bootstrap PATH] [--size-mb 32] [--rounds 3] [--no-sigterm]
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::caller::Caller;
use light_runtime_testkit::hostile_client::{head_for, post_head, HostileClient};
use light_runtime_testkit::http_platform::{request, HttpPlatform};

/// The longest any one step may take.
const WAIT: Duration = Duration::from_secs(120);

/// A push platform the bootstrap is run under.
#[derive(Clone, Copy, Debug)]
enum Platform {
    Fc,
    PlainHttp,
}

/// A platform's emulator, as far as this harness needs it.
struct Front {
    env: Vec<(String, String)>,
    caller: Caller,
    fc: Option<FcEmulator>,
}

impl Platform {
    fn name(self) -> &'static str {
        match self {
            Platform::Fc => "Alibaba FC",
            Platform::PlainHttp => "plain HTTP",
        }
    }

    fn front(self) -> Front {
        match self {
            Platform::Fc => {
                let fc = FcEmulator::builder()
                    .function_name("echo")
                    .timeout_secs(60)
                    .start()
                    .expect("a free port");
                Front {
                    env: fc.env(),
                    caller: fc.caller().clone(),
                    fc: Some(fc),
                }
            }
            Platform::PlainHttp => {
                let http = HttpPlatform::knative().expect("a free port");
                Front {
                    env: http.env(),
                    caller: http.caller().clone(),
                    fc: None,
                }
            }
        }
    }
}

impl Front {
    /// An invocation with `body`, as the platform sends it.
    fn invocation(&self, body: Vec<u8>) -> http::Request<bytes::Bytes> {
        match &self.fc {
            Some(fc) => fc.event(body).into_http(),
            None => request(
                http::Method::POST,
                "/",
                &[("content-type", "application/json")],
                body.into(),
            ),
        }
    }

    /// The head of an invocation whose body is `length` bytes.
    fn head(&self, length: usize) -> String {
        match &self.fc {
            Some(fc) => head_for(&fc.event(&b"{}"[..]).into_http(), length),
            None => post_head("/", &[("content-type", "application/json")], length),
        }
    }
}

fn option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).cloned()
}

fn spawn(bootstrap: &Path, front: &Front) -> Child {
    Command::new(bootstrap)
        .envs(front.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bootstrap.display()))
}

/// `VmHWM` of `pid`, in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib / 1024.0
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// Waits for `child` to exit, at most [`WAIT`]; `None` if it did not.
async fn exited(child: &mut Child) -> Option<Duration> {
    let began = Instant::now();
    while began.elapsed() < WAIT {
        if child.try_wait().ok().flatten().is_some() {
            return Some(began.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = child.kill();
    None
}

/// Peak RSS of a fresh process answering `concurrent` payloads of `size` bytes.
async fn peak_rss(bootstrap: &Path, platform: Platform, size: usize, concurrent: usize) -> String {
    let front = platform.front();
    let mut child = spawn(bootstrap, &front);
    assert!(front.caller.wait_ready(WAIT).await, "the bootstrap listens");
    let mut body = vec![b'x'; size];
    body[0] = b'"';
    body[size - 1] = b'"';
    let requests = (0..concurrent)
        .map(|_| front.invocation(body.clone()))
        .collect();
    drop(body);
    let replies = front.caller.send_all(requests, concurrent, WAIT).await;
    let answered = replies
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|r| r.status == 200))
        .count();
    let peak = peak_rss_mib(child.id());
    terminate(&mut child);
    exited(&mut child).await;
    let failure = replies.iter().find_map(|r| match r {
        Ok(reply) if reply.status == 200 => None,
        Ok(reply) => Some(format!(
            "; one answered {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body[..reply.body.len().min(200)])
        )),
        Err(error) => Some(format!("; one failed: {error}")),
    });
    match failure {
        None => format!("{peak:.1} MiB"),
        Some(failure) => format!("{peak:.1} MiB ({answered}/{concurrent} answered 200{failure})"),
    }
}

/// Time from SIGTERM to exit of a fresh process with a client trickling a body.
async fn sigterm_with_slow_client(bootstrap: &Path, platform: Platform) -> String {
    let front = platform.front();
    let mut child = spawn(bootstrap, &front);
    assert!(front.caller.wait_ready(WAIT).await, "the bootstrap listens");
    let client = HostileClient::new(front.caller.addr()).with_wait(WAIT);
    let _trickle = client
        .trickle(&front.head(1 << 20), 1 << 20, 10, Duration::from_millis(50))
        .await
        .expect("connected");
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(&mut child);
    match exited(&mut child).await {
        Some(took) => format!("{} ms", took.as_millis()),
        None => format!("still running after {} s (killed)", WAIT.as_secs()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bootstrap = option("--bootstrap").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/examples/echo"),
        PathBuf::from,
    );
    let size = option("--size-mb")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(32)
        * 1024
        * 1024;
    println!("bootstrap: {}", bootstrap.display());
    println!("payload: {} MiB", size / (1024 * 1024));
    let rounds = option("--rounds")
        .and_then(|r| r.parse::<usize>().ok())
        .unwrap_or(3);
    println!("rounds: {rounds} (a fresh process each; every round's peak shown)");
    for platform in [Platform::Fc, Platform::PlainHttp] {
        let mut one = Vec::new();
        let mut four = Vec::new();
        for _ in 0..rounds {
            one.push(peak_rss(&bootstrap, platform, size, 1).await);
            four.push(peak_rss(&bootstrap, platform, size, 4).await);
        }
        let (one, four) = (one.join(" | "), four.join(" | "));
        let sigterm = if std::env::args().any(|a| a == "--no-sigterm") {
            "not measured (--no-sigterm)".to_owned()
        } else {
            sigterm_with_slow_client(&bootstrap, platform).await
        };
        println!("{}:", platform.name());
        println!("  peak RSS, one payload:          {one}");
        println!("  peak RSS, four concurrent:      {four}");
        println!("  SIGTERM to exit, slow client:   {sigterm}");
    }
}
