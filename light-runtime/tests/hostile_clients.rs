//! Hostile HTTP clients against the push platforms (FC, plain HTTP, SCF web,
//! local): slow bodies at shutdown, bodies over the limit, bodies cut short,
//! oversized heads, garbage request lines. Each test asserts what the client
//! received and that the runtime went on (or stopped in time).

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Phase, Runtime, RuntimeError};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::hostile_client::{head_for, post_head, HostileClient, RawReply};
use light_runtime_testkit::http_platform::HttpPlatform;
use light_runtime_testkit::recording::RecordingHook;
use serde_json::Value;
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(10);
/// The shutdown grace the tests give: short, so a runtime that waits for a
/// slow client past it fails quickly.
const GRACE_MS: u64 = 1500;
/// FC's and plain HTTP's body limit (32 MB).
const LIMIT: usize = 32 * 1024 * 1024;

/// A running echo function, with a flag set by its `Close` hook, a hook
/// recording every phase, and a count of its handler's calls.
struct Running {
    shutdown: CancellationToken,
    hook: RecordingHook,
    task: JoinHandle<Result<(), RuntimeError>>,
    closed: Arc<AtomicBool>,
    invoked: Arc<AtomicUsize>,
}

fn start(mut env: Vec<(String, String)>) -> Running {
    env.push((
        "LIGHT_RUNTIME_SHUTDOWN_GRACE_MS".into(),
        GRACE_MS.to_string(),
    ));
    let shutdown = CancellationToken::new();
    let closed = Arc::new(AtomicBool::new(false));
    let invoked = Arc::new(AtomicUsize::new(0));
    let hook = RecordingHook::new("recorder");
    let runtime = Runtime::builder()
        .with_environment(Environment::from_vars(env))
        .hook(hook.clone())
        .on_close({
            let closed = closed.clone();
            move || async move {
                closed.store(true, Ordering::SeqCst);
                Ok::<_, Error>(())
            }
        })
        .run_until(
            {
                let invoked = invoked.clone();
                move |event: Value, _ctx: Context| {
                    invoked.fetch_add(1, Ordering::SeqCst);
                    async move {
                        // `{"sleep_ms": n}`: a slow invocation.
                        if let Some(ms) = event.get("sleep_ms").and_then(Value::as_u64) {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                        }
                        Ok::<_, Error>(event)
                    }
                }
            },
            shutdown.clone(),
        );
    Running {
        shutdown,
        hook,
        task: tokio::spawn(runtime),
        closed,
        invoked,
    }
}

impl Running {
    /// Shuts down and returns how long the runtime took to stop and whether
    /// `Close` ran; panics if it took over [`WAIT`], ended with an error, or
    /// did not end with `Close` then `End`.
    async fn stop(self) -> (Duration, bool) {
        let began = Instant::now();
        self.shutdown.cancel();
        let result = tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the runtime stops within 10 s of shutdown")
            .expect("no panic");
        let took = began.elapsed();
        assert!(result.is_ok(), "orderly shutdown: {result:?}");
        let phases = self.hook.phases();
        assert_eq!(
            &phases[phases.len().saturating_sub(2)..],
            &[Phase::Close, Phase::End],
            "Close then End last: {phases:?}"
        );
        (took, self.closed.load(Ordering::SeqCst))
    }

    /// [`stop`](Self::stop), asserting it took less than the grace (with
    /// 500 ms for the process's own work) and ran Close; prints the time,
    /// the figure `docs/reliability.md` reports, for a run `with` this.
    async fn stop_within_grace(self, with: &str) {
        let (took, closed) = self.stop().await;
        eprintln!(
            "time from shutdown to exit with {with}: {} ms",
            took.as_millis()
        );
        assert!(
            took < Duration::from_millis(GRACE_MS + 500),
            "shutdown took {took:?}, more than the {GRACE_MS} ms grace"
        );
        assert!(closed, "Close ran");
    }
}

fn fc() -> FcEmulator {
    FcEmulator::builder()
        .function_name("orders")
        .timeout_secs(3)
        .start()
        .unwrap()
}

/// The head of an FC event invocation with a body of `length` bytes.
fn fc_invoke_head(fc: &FcEmulator, length: usize) -> String {
    head_for(&fc.event(&b"{}"[..]).into_http(), length)
}

fn assert_json_error(reply: &RawReply, status: u16, error_type: &str) {
    assert_eq!(reply.status, Some(status), "{reply:?}");
    let body = reply.body_json().expect("a JSON error body");
    assert_eq!(body["errorType"], error_type, "{body}");
    assert!(
        body["errorMessage"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// Shutdown while a client trickles a body: bounded by the grace, `Close`
/// runs, and the client is told the instance is shutting down.
async fn slow_body_at_shutdown(running: Running, client: HostileClient, head: String) -> RawReply {
    // 1 MB at 10 bytes every 50 ms: it would take over an hour.
    let trickle = client
        .trickle(&head, 1024 * 1024, 10, Duration::from_millis(50))
        .await
        .unwrap();
    // Let the head reach the server and the body start to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    running.stop_within_grace("a slow client").await;
    trickle.reply().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fc_shutdown_with_a_slow_body_keeps_to_the_grace_and_runs_close() {
    let fc = fc();
    let running = start(fc.env());
    assert!(fc.wait_ready(WAIT).await);
    assert_eq!(fc.initialize().await.unwrap().status, 200);
    let client = HostileClient::new(fc.caller().addr());
    let head = fc_invoke_head(&fc, 1024 * 1024);
    let reply = slow_body_at_shutdown(running, client, head).await;
    assert_json_error(&reply, 503, "Runtime.ShuttingDown");
    assert_eq!(reply.header("x-fc-status"), Some("404"), "FC records it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fc_pre_stop_with_a_slow_body_keeps_to_the_grace_and_runs_close() {
    let fc = fc();
    let running = start(fc.env());
    assert!(fc.wait_ready(WAIT).await);
    let client = HostileClient::new(fc.caller().addr());
    let trickle = client
        .trickle(
            &fc_invoke_head(&fc, 4096),
            4096,
            10,
            Duration::from_millis(50),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let began = Instant::now();
    let pre_stop = fc.pre_stop().await.unwrap();
    let took = began.elapsed();
    eprintln!(
        "FC /pre-stop answered after {} ms with a slow client",
        took.as_millis()
    );
    assert_eq!(pre_stop.status, 200);
    assert!(
        took < Duration::from_millis(GRACE_MS),
        "/pre-stop took {took:?}"
    );
    assert!(
        running.closed.load(Ordering::SeqCst),
        "Close ran before /pre-stop was answered"
    );
    assert_json_error(&trickle.reply().await.unwrap(), 503, "Runtime.ShuttingDown");
    let (took, _) = running.stop().await;
    assert!(took < Duration::from_millis(GRACE_MS + 500), "{took:?}");
}

/// Plain HTTP, SCF web and local share the push server: the same slow body at
/// shutdown, answered 503 within the grace, with Close and End run.
async fn slow_body_on_an_http_platform(platform: HttpPlatform) {
    let running = start(platform.env());
    assert!(platform.wait_ready(WAIT).await);
    let client = HostileClient::new(platform.caller().addr());
    let head = post_head("/", &[("content-type", "application/json")], 1024 * 1024);
    let reply = slow_body_at_shutdown(running, client, head).await;
    assert_json_error(&reply, 503, "Runtime.ShuttingDown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_shutdown_with_a_slow_body_keeps_to_the_grace_and_runs_close() {
    slow_body_on_an_http_platform(HttpPlatform::knative().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scf_web_shutdown_with_a_slow_body_keeps_to_the_grace_and_runs_close() {
    slow_body_on_an_http_platform(HttpPlatform::scf_web().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_shutdown_with_a_slow_body_keeps_to_the_grace_and_runs_close() {
    slow_body_on_an_http_platform(HttpPlatform::local().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fc_answers_a_body_over_the_limit_with_413_in_its_error_format() {
    let fc = fc();
    let running = start(fc.env());
    assert!(fc.wait_ready(WAIT).await);
    let client = HostileClient::new(fc.caller().addr());
    let request = fc.event(&b"{}"[..]).into_http();
    let id = request.headers()["x-fc-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let head = head_for(&request, LIMIT + 1);
    let reply = client.send_raw(head.as_bytes()).await.unwrap();
    assert_json_error(&reply, 413, "Runtime.RequestTooLarge");
    assert_eq!(reply.header("x-fc-status"), Some("404"), "FC records it");
    assert_eq!(reply.body_json().unwrap()["requestId"], id.as_str());
    // The runtime goes on.
    assert_eq!(fc.invoke(&b"{\"next\":1}"[..]).await.unwrap().status, 200);
    assert_eq!(running.invoked.load(Ordering::SeqCst), 1);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_answers_a_body_over_the_limit_with_413_json() {
    let platform = HttpPlatform::knative().unwrap();
    let running = start(platform.env());
    assert!(platform.wait_ready(WAIT).await);
    let client = HostileClient::new(platform.caller().addr());
    let reply = client
        .oversized_body("/", &[("x-request-id", "big-1")], LIMIT + 1)
        .await
        .unwrap();
    assert_json_error(&reply, 413, "Runtime.RequestTooLarge");
    assert_eq!(reply.body_json().unwrap()["requestId"], "big-1");
    assert_eq!(
        platform
            .post_json(&serde_json::json!({"n": 1}))
            .await
            .unwrap()
            .status,
        200
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_short_is_never_invoked_and_the_server_goes_on() {
    let fc = fc();
    let running = start(fc.env());
    assert!(fc.wait_ready(WAIT).await);
    let client = HostileClient::new(fc.caller().addr());
    let request = fc.event(&b"{}"[..]).into_http();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let reply = client
        .close_mid_body("/invoke", &headers, 1000, 100)
        .await
        .unwrap();
    // The client closed its side; a server answer, if any, says why.
    if reply.status.is_some() {
        assert_json_error(&reply, 400, "Runtime.IncompleteRequest");
    }
    assert_eq!(fc.invoke(&b"{\"next\":1}"[..]).await.unwrap().status, 200);
    assert_eq!(
        running.invoked.load(Ordering::SeqCst),
        1,
        "only the whole one ran"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_head_and_a_garbage_request_line_get_a_status_not_silence() {
    let platform = HttpPlatform::knative().unwrap();
    let running = start(platform.env());
    assert!(platform.wait_ready(WAIT).await);
    let client = HostileClient::new(platform.caller().addr());
    let reply = client.oversized_head("/", 1024 * 1024).await.unwrap();
    assert_eq!(reply.status, Some(431), "{reply:?}");
    let many: Vec<(String, String)> = (0..150).map(|n| (format!("x-h{n}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let mut request = post_head("/", &many, 2).into_bytes();
    request.extend_from_slice(b"{}");
    let reply = client.send_raw(&request).await.unwrap();
    assert_eq!(
        reply.status,
        Some(431),
        "more headers than hyper keeps: {reply:?}"
    );
    let reply = client.garbage_request_line().await.unwrap();
    assert_eq!(reply.status, Some(400), "{reply:?}");
    assert_eq!(
        platform
            .post_json(&serde_json::json!({"n": 1}))
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(running.invoked.load(Ordering::SeqCst), 1);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_of_exactly_the_platform_limit_are_invoked() {
    let mut body = vec![b'x'; LIMIT];
    body[0] = b'"';
    body[LIMIT - 1] = b'"';
    let fc = fc();
    let running = start(fc.env());
    assert!(fc.wait_ready(WAIT).await);
    let reply = fc.invoke(body.clone()).await.unwrap();
    assert_eq!(
        reply.header("x-fc-status"),
        Some("200"),
        "{:?}",
        reply.body_json()
    );
    assert_eq!(reply.body.len(), LIMIT);
    running.stop().await;

    let platform = HttpPlatform::knative().unwrap();
    let running = start(platform.env());
    assert!(platform.wait_ready(WAIT).await);
    let reply = platform.post(body).await.unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.body_json());
    assert_eq!(reply.body.len(), LIMIT);
    running.stop().await;
}

/// Shutdown while an invocation runs longer than the grace: it waits once,
/// for the grace less `Close`'s budget, then `Close` and `End` run.
async fn slow_invocation_at_shutdown(
    running: Running,
    send: impl std::future::Future<Output: Send> + Send + 'static,
) {
    let sending = tokio::spawn(send);
    tokio::time::timeout(WAIT, async {
        while running.invoked.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the slow invocation started");
    running.stop_within_grace("a slow invocation").await;
    sending.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fc_shutdown_waits_for_a_slow_invocation_once_within_the_grace() {
    let fc = fc();
    let running = start(fc.env());
    assert!(fc.wait_ready(WAIT).await);
    let request = fc.event(&br#"{"sleep_ms":8000}"#[..]).into_http();
    let caller = fc.caller().clone();
    slow_invocation_at_shutdown(running, async move { caller.send(request, WAIT).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_shutdown_waits_for_a_slow_invocation_once_within_the_grace() {
    let platform = HttpPlatform::knative().unwrap();
    let running = start(platform.env());
    assert!(platform.wait_ready(WAIT).await);
    slow_invocation_at_shutdown(running, async move {
        platform
            .post_json(&serde_json::json!({"sleep_ms": 8000}))
            .await
    })
    .await;
}

/// Where the client is gone (a body cut short) or never became a request
/// (a garbage request line), the real bootstrap says so on stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bootstrap_reports_requests_it_could_not_read_on_stderr() {
    let echo = tokio::task::spawn_blocking(support::echo_example)
        .await
        .unwrap();
    let fc = fc();
    let mut child = std::process::Command::new(echo)
        .envs(fc.env())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(fc.wait_ready(WAIT).await, "the bootstrap listens");
    let client = HostileClient::new(fc.caller().addr());
    let request = fc.event(&b"{}"[..]).into_http();
    let id = request.headers()["x-fc-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    client
        .close_mid_body("/invoke", &headers, 1000, 100)
        .await
        .unwrap();
    client.garbage_request_line().await.unwrap();
    assert_eq!(fc.invoke(&b"{}"[..]).await.unwrap().status, 200, "goes on");
    // SAFETY: kill(2) on the child's pid with a valid signal touches no memory.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert_eq!(sent, 0);
    let began = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if began.elapsed() > WAIT {
            let _ = child.kill();
            panic!("the bootstrap did not exit within {WAIT:?} of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains(&format!("request {id:?} was not invoked"))
            && stderr.contains("client closed the connection"),
        "the body cut short is reported with its request id: {stderr}"
    );
    assert!(
        stderr.contains("could not be read and was not invoked"),
        "the garbage request line is reported: {stderr}"
    );
}
