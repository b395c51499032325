//! Telemetry of a function process that its platform freezes without
//! notice, as Alibaba FC 3.0, Cloud Run / Knative, SCF web functions and
//! (never freezing, but killable) the local server do: the process is
//! stopped with `SIGSTOP` between requests, resumed with `SIGCONT`, and
//! reclaimed with `SIGKILL` while frozen. A real OTLP receiver counts what
//! arrived against what was sent, and each case asserts the bound
//! `docs/layers.md` states:
//!
//! - `idle`: data goes out once the instance is idle, with no `Freeze` or
//!   `Close`; what a freeze caught before its export goes out after the
//!   thaw; a reclaim while frozen loses at most what was recorded since the
//!   last export (here: the last invocation).
//! - `strict` (`LIGHT_RUNTIME_TELEMETRY_FLUSH=strict`): nothing is lost,
//!   each invocation's data is acknowledged before its response.
//! - `stalled_collector_*`: a collector that accepts an export and never
//!   answers holds no response with the default schedule, and holds the
//!   response with strict (its export time limit made minutes long).
//! - `aws_freeze`: on AWS Lambda, which freezes only while the runtime waits
//!   in `next`, the `Freeze` export before `next` loses nothing, even
//!   frozen after every invocation and reclaimed while frozen.
//!
//! The function process is this test binary started again with
//! `FROZEN_EXPORT_FUNCTION` set (`harness = false`, so `main` can be
//! either): the logging-free echo with the tracing and metrics layers on.
//! Run one case with `cargo test -p light-runtime-layers --test
//! frozen_export -- fc-event` (a substring of the case name).

use std::panic::AssertUnwindSafe;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use http::Method;
use light_runtime::engine::Budgets;
use light_runtime::{Context, Error, Runtime};
use light_runtime_layers::{MetricsLayer, TracingLayer};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::caller::Reply;
use light_runtime_testkit::freezer::Freezer;
use light_runtime_testkit::http_platform::{self, HttpPlatform};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::otlp::OtlpReceiver;
use serde_json::{json, Value};

/// Set in the function process's environment.
const ROLE_VAR: &str = "FROZEN_EXPORT_FUNCTION";
/// Every wait is bounded by this.
const WAIT: Duration = Duration::from_secs(10);
/// The function process's idle delay.
const IDLE_DELAY: Duration = Duration::from_millis(20);
/// Invocations per case.
const ROUNDS: usize = 5;
/// The function process's `Freeze` budget in seconds, when set: export
/// time limits are 2/5 of it, so a long one makes a stalled export stall.
const FREEZE_BUDGET_VAR: &str = "FROZEN_EXPORT_FREEZE_BUDGET_SECS";

async fn echo(event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(event)
}

/// The function process: the platform is detected from the environment
/// the test gave it.
fn function_process() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut budgets = Budgets::default();
    if let Some(secs) = std::env::var(FREEZE_BUDGET_VAR)
        .ok()
        .and_then(|s| s.parse().ok())
    {
        budgets = budgets.with_freeze(Duration::from_secs(secs));
    }
    let served = runtime.block_on(
        Runtime::builder()
            .with_budgets(budgets)
            .lifecycle_layer(TracingLayer::from_env())
            .lifecycle_layer(MetricsLayer::from_env())
            .run(echo),
    );
    if let Err(error) = served {
        eprintln!("frozen_export function process: {error}");
        std::process::exit(1);
    }
}

/// The platform in front of the function.
#[derive(Clone, Copy, Debug)]
enum Platform {
    /// FC 3.0 event function (`POST /invoke`), no `/pre-freeze`.
    FcEvent,
    /// FC 3.0 HTTP function (`/http-invoke`), no `/pre-freeze`.
    FcHttp,
    /// Knative / Cloud Run.
    Knative,
    /// An SCF web function.
    ScfWeb,
    /// The local server.
    Local,
}

/// The emulator of one platform.
enum Front {
    Fc(FcEmulator),
    Http(HttpPlatform),
}

impl Platform {
    const ALL: [Platform; 5] = [
        Platform::FcEvent,
        Platform::FcHttp,
        Platform::Knative,
        Platform::ScfWeb,
        Platform::Local,
    ];

    fn name(self) -> &'static str {
        match self {
            Platform::FcEvent => "fc-event",
            Platform::FcHttp => "fc-http",
            Platform::Knative => "knative",
            Platform::ScfWeb => "scf-web",
            Platform::Local => "local",
        }
    }

    fn front(self) -> Front {
        match self {
            Platform::FcEvent | Platform::FcHttp => {
                Front::Fc(FcEmulator::builder().start().unwrap())
            }
            Platform::Knative => Front::Http(HttpPlatform::knative().unwrap()),
            Platform::ScfWeb => Front::Http(HttpPlatform::scf_web().unwrap()),
            Platform::Local => Front::Http(HttpPlatform::local().unwrap()),
        }
    }
}

impl Front {
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

    async fn invoke(&self, platform: Platform, round: usize) -> Reply {
        let event = json!({"round": round});
        let reply = match (self, platform) {
            (Front::Fc(fc), Platform::FcHttp) => {
                let request = http_platform::request(
                    Method::POST,
                    "/orders",
                    &[("content-type", "application/json")],
                    event.to_string().into(),
                );
                fc.http_invoke(request).await
            }
            (Front::Fc(fc), _) => fc.invoke(event.to_string()).await,
            (Front::Http(http), _) => http.post_json(&event).await,
        };
        let reply = reply.unwrap_or_else(|e| panic!("round {round}: no reply: {e}"));
        assert_eq!(reply.status, 200, "round {round}: {reply:?}");
        reply
    }
}

/// The function process, killed if the case ends early.
struct Function {
    child: Child,
    freezer: Freezer,
}

impl Function {
    fn start(front: &Front, receiver: &OtlpReceiver, flush: &str) -> Function {
        Function::start_with(front.env(), receiver, flush)
    }

    fn start_with(env: Vec<(String, String)>, receiver: &OtlpReceiver, flush: &str) -> Function {
        Function::start_exporting_to(env, &receiver.endpoint(), flush)
    }

    fn start_exporting_to(env: Vec<(String, String)>, endpoint: &str, flush: &str) -> Function {
        let child = Command::new(std::env::current_exe().unwrap())
            .env_clear()
            .env(ROLE_VAR, "1")
            .envs(env)
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env("LIGHT_RUNTIME_TELEMETRY_FLUSH", flush)
            .env(
                "LIGHT_RUNTIME_TELEMETRY_IDLE_DELAY",
                IDLE_DELAY.as_millis().to_string(),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("the function process starts");
        let freezer = Freezer::new(child.id());
        Function { child, freezer }
    }

    fn freeze(&self) {
        self.freezer.freeze().unwrap();
        assert!(self.freezer.wait_frozen(WAIT), "the process did not stop");
    }

    fn thaw(&self) {
        self.freezer.thaw().unwrap();
    }

    /// `SIGKILL` while frozen, and reaped.
    fn reclaim(mut self) {
        self.freezer.reclaim().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the receiver holds: (spans, `faas.invocations`).
fn received(receiver: &OtlpReceiver) -> (usize, usize) {
    let spans = receiver.spans().len();
    let invocations = receiver.metric_sum("faas.invocations", None) as usize;
    (spans, invocations)
}

/// Waits until the receiver holds exactly `sent` of each.
async fn wait_received(receiver: &OtlpReceiver, sent: usize, what: &str) {
    let arrived = receiver
        .wait_until(WAIT, |r| received(r) == (sent, sent))
        .await;
    assert!(
        arrived,
        "{what}: expected {sent} spans and invocations, received {:?}",
        received(receiver)
    );
}

/// Idle export: rounds left running after their response are exported
/// while idle; rounds frozen right after it are exported after the thaw;
/// the last round is frozen at once and reclaimed while frozen.
async fn idle_case(platform: Platform) -> String {
    let receiver = OtlpReceiver::start().await.unwrap();
    let front = platform.front();
    let function = Function::start(&front, &receiver, "auto");
    assert!(front.wait_ready().await, "the function never listened");
    for round in 1..ROUNDS {
        if round > 1 {
            function.thaw();
        }
        front.invoke(platform, round).await;
        if round % 2 == 1 {
            // Left running: out while idle, with no Freeze and no Close.
            wait_received(&receiver, round, "idle export").await;
            function.freeze();
        } else {
            // Frozen at once, as FC 3.0 does, for a few idle delays.
            function.freeze();
            tokio::time::sleep(IDLE_DELAY * 3).await;
            function.thaw();
            wait_received(&receiver, round, "export after the thaw").await;
            function.freeze();
        }
    }
    function.thaw();
    front.invoke(platform, ROUNDS).await;
    function.freeze();
    function.reclaim();
    let (spans, invocations) = received(&receiver);
    // The bound: everything exported before the last invocation is there;
    // at most that one (recorded after the last export) is lost.
    for (what, count) in [("spans", spans), ("invocations", invocations)] {
        assert!(
            (ROUNDS - 1..=ROUNDS).contains(&count),
            "{what}: sent {ROUNDS}, received {count}"
        );
    }
    format!(
        "sent {ROUNDS}, received {spans} spans / {invocations} invocations, lost at most the last"
    )
}

/// Strict: every round frozen the moment its reply arrives, the process
/// reclaimed while frozen, and still nothing is lost.
async fn strict_case(platform: Platform) -> String {
    let receiver = OtlpReceiver::start().await.unwrap();
    let front = platform.front();
    let function = Function::start(&front, &receiver, "strict");
    assert!(front.wait_ready().await, "the function never listened");
    for round in 1..=ROUNDS {
        if round > 1 {
            function.thaw();
        }
        front.invoke(platform, round).await;
        function.freeze();
        // Already there: the reply came after the receiver's answer.
        assert_eq!(
            received(&receiver),
            (round, round),
            "round {round}: strict data arrived before the reply"
        );
    }
    function.reclaim();
    let (spans, invocations) = received(&receiver);
    assert_eq!((spans, invocations), (ROUNDS, ROUNDS));
    format!("sent {ROUNDS}, received {spans} spans / {invocations} invocations, none lost")
}

/// A collector that takes export requests and never answers; says how
/// many requests have begun to arrive.
async fn stalled_collector() -> (String, tokio::sync::watch::Receiver<usize>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (arrived, seen) = tokio::sync::watch::channel(0);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let arrived = arrived.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                // Reads, counts, never answers; the socket lives until the
                // function closes it.
                while let Ok(n) = socket.read(&mut buffer).await {
                    if n == 0 {
                        return;
                    }
                    arrived.send_modify(|count| *count += 1);
                }
            });
        }
    });
    (endpoint, seen)
}

/// Knative with a collector that never answers and export time limits of
/// four minutes: the default schedule answers every request meanwhile;
/// strict holds the response of the invocation whose export stalls.
async fn stalled_collector_case(strict: bool) -> String {
    let (endpoint, mut seen) = stalled_collector().await;
    let front = Platform::Knative.front();
    let mut env = front.env();
    env.push((FREEZE_BUDGET_VAR.to_owned(), "600".to_owned()));
    env.push(("OTEL_EXPORTER_OTLP_TIMEOUT".to_owned(), "600000".to_owned()));
    let flush = if strict { "strict" } else { "auto" };
    let function = Function::start_exporting_to(env, &endpoint, flush);
    assert!(front.wait_ready().await, "the function never listened");
    if strict {
        let held =
            tokio::time::timeout(Duration::from_secs(1), front.invoke(Platform::Knative, 1)).await;
        assert!(held.is_err(), "strict answered while its export stalled");
        drop(function);
        return "strict: the response waited on the stalled export".to_owned();
    }
    front.invoke(Platform::Knative, 1).await;
    // The idle export has begun and hangs.
    let stalled = tokio::time::timeout(WAIT, seen.wait_for(|count| *count > 0)).await;
    assert!(
        matches!(stalled, Ok(Ok(_))),
        "no export reached the collector"
    );
    for round in 2..=ROUNDS {
        let answered = tokio::time::timeout(WAIT, front.invoke(Platform::Knative, round)).await;
        assert!(
            answered.is_ok(),
            "round {round} was held by a stalled export"
        );
    }
    drop(function);
    format!("{ROUNDS} answered while an export hung")
}

/// AWS Lambda: frozen, as Lambda does, once the runtime waits in `next`
/// after each invocation; reclaimed while frozen after the last.
async fn aws_case() -> String {
    let receiver = OtlpReceiver::start().await.unwrap();
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = vec![
        ("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), "orders".to_owned()),
        // A sampled trace header is not sent: sample every span.
        ("OTEL_TRACES_SAMPLER".to_owned(), "always_on".to_owned()),
    ];
    let function = Function::start_with(env, &receiver, "auto");
    for round in 1..=ROUNDS {
        if round > 1 {
            function.thaw();
        }
        let id = emulator.push(Event::json(json!({"round": round})));
        let answer = emulator.result(&id, WAIT).await.expect("an answer");
        assert!(!answer.is_error(), "round {round}: {answer:?}");
        assert!(
            emulator.wait_next_waiting(1, WAIT).await,
            "round {round}: the runtime never came back to `next`"
        );
        function.freeze();
        assert_eq!(
            received(&receiver),
            (round, round),
            "round {round}: exported at Freeze, before `next`"
        );
    }
    function.reclaim();
    let (spans, invocations) = received(&receiver);
    assert_eq!((spans, invocations), (ROUNDS, ROUNDS));
    format!("sent {ROUNDS}, received {spans} spans / {invocations} invocations, none lost")
}

fn main() {
    if std::env::var_os(ROLE_VAR).is_some() {
        return function_process();
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut failed = Vec::new();
    let mut ran = 0;
    for platform in Platform::ALL {
        for strict in [false, true] {
            let name = format!(
                "{}_{}",
                platform.name(),
                if strict { "strict" } else { "idle" }
            );
            if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
                continue;
            }
            ran += 1;
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                runtime.block_on(async {
                    let case = async {
                        if strict {
                            strict_case(platform).await
                        } else {
                            idle_case(platform).await
                        }
                    };
                    tokio::time::timeout(Duration::from_secs(60), case)
                        .await
                        .unwrap_or_else(|_| panic!("{name} did not finish in 60 s"))
                })
            }));
            match outcome {
                Ok(figures) => println!("test {name} ... ok ({figures})"),
                Err(_) => {
                    println!("test {name} ... FAILED");
                    failed.push(name);
                }
            }
        }
    }
    for strict in [false, true] {
        let name = if strict {
            "stalled_collector_strict"
        } else {
            "stalled_collector_idle"
        };
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        ran += 1;
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(90), stalled_collector_case(strict))
                    .await
                    .unwrap_or_else(|_| panic!("{name} did not finish in 90 s"))
            })
        }));
        match outcome {
            Ok(figures) => println!("test {name} ... ok ({figures})"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(name.to_owned());
            }
        }
    }
    if filter.is_empty() || filter.iter().any(|f| "aws_freeze".contains(f.as_str())) {
        ran += 1;
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(60), aws_case())
                    .await
                    .expect("aws_freeze finished in 60 s")
            })
        }));
        match outcome {
            Ok(figures) => println!("test aws_freeze ... ok ({figures})"),
            Err(_) => {
                println!("test aws_freeze ... FAILED");
                failed.push("aws_freeze".to_owned());
            }
        }
    }
    println!(
        "\ntest result: {}. {} passed; {} failed",
        if failed.is_empty() { "ok" } else { "FAILED" },
        ran - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
