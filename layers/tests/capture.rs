//! The capture layer end to end on the Lambda emulator: failures (error,
//! panic, timeout) leave a capture file with their scene, successes leave
//! none, no secret from any placement reaches a file (a seeded generator,
//! many seeds), and the rate, size and count bounds and the HTTP sink hold.

use std::path::{Path, PathBuf};
use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::layers::capture::Scene;
use light_runtime::{Budgets, Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

/// Fails as the event asks; logs what it is told to, secrets included.
async fn handler(event: Value, ctx: Context) -> Result<Value, Error> {
    for line in event["log"].as_array().into_iter().flatten() {
        tracing::info!(
            request = ctx.request_id(),
            "{}",
            line.as_str().unwrap_or_default()
        );
    }
    match event["do"].as_str() {
        Some("error") => Err(Error::with_type("Order.Rejected", "order 7 has no items")),
        Some("panic") => panic!("the order book is empty"),
        Some("hang") => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(json!("late"))
        }
        _ => Ok(json!({"ok": true})),
    }
}

struct Running {
    emulator: LambdaEmulator,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), light_runtime::RuntimeError>>,
}

async fn start(vars: &[(&str, &str)]) -> Running {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut all = vec![
        ("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), "orders".to_owned()),
    ];
    all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(Environment::from_vars(all))
            .with_budgets(Budgets::default().with_safety_margin(Duration::from_millis(200)))
            .run_until(handler, shutdown.clone()),
    );
    Running {
        emulator,
        shutdown,
        task,
    }
}

impl Running {
    async fn invoke(&self, event: Event) -> light_runtime_testkit::lambda::InvocationResult {
        let id = self.emulator.push(event);
        self.emulator.result(&id, WAIT).await.expect("an answer")
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("stops")
            .unwrap()
            .unwrap();
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|e| e == "json"));
    out.sort();
    out
}

/// Waits (bounded) until `dir` holds `n` captures.
async fn wait_files(dir: &Path, n: usize) -> Vec<PathBuf> {
    let until = tokio::time::Instant::now() + WAIT;
    loop {
        let found = files(dir);
        if found.len() >= n || tokio::time::Instant::now() > until {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn read(path: &Path) -> Scene {
    Scene::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn an_error_a_panic_and_a_timeout_are_captured_and_successes_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let sink = format!("dir:{}", dir.path().display());
    let running = start(&[
        ("LIGHT_RUNTIME_CAPTURE", "failures"),
        ("LIGHT_RUNTIME_CAPTURE_SINK", &sink),
    ])
    .await;

    for i in 0..3 {
        let ok = running
            .invoke(Event::json(json!({"n": i, "log": ["fine"]})))
            .await;
        assert!(!ok.is_error());
    }
    let error = running
        .invoke(
            Event::json(json!({"do": "error", "log": ["looking up order 7"], "order": 7}))
                .request_id("req-error")
                .deadline_in(Duration::from_secs(5))
                .trace_id(
                    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                ),
        )
        .await;
    assert_eq!(error.error_type(), Some("Order.Rejected"));
    let found = wait_files(dir.path(), 1).await;
    assert_eq!(
        found.len(),
        1,
        "three successes and one error: one capture, {found:?}"
    );
    assert!(found[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .ends_with("-req-error.json"));
    let scene = read(&found[0]);
    assert_eq!(scene.format, "light-runtime-capture/1");
    assert_eq!(scene.reason, "error");
    let err = scene.error.as_ref().unwrap();
    assert_eq!(
        (
            err.error_type.as_str(),
            err.message.as_str(),
            err.kind.as_str()
        ),
        ("Order.Rejected", "order 7 has no items", "handler")
    );
    assert_eq!(scene.event.body["order"], 7);
    assert_eq!(scene.event.encoding, "json");
    assert_eq!(scene.context.request_id, "req-error");
    assert!(scene
        .context
        .trace_header
        .as_deref()
        .unwrap()
        .contains("Root=1-5759e988"));
    let remaining = scene.context.remaining_ms.unwrap();
    assert!(remaining > 1000 && remaining <= 5000, "{remaining}");
    assert_eq!(scene.runtime.platform, "aws");
    assert_eq!(scene.runtime.function, "orders");
    assert_eq!(
        scene.logs.lines.len(),
        1,
        "only this invocation's lines: {:?}",
        scene.logs.lines
    );
    assert!(
        scene.logs.lines[0].contains("looking up order 7"),
        "{:?}",
        scene.logs.lines
    );
    assert!(scene
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("lambda-runtime-aws-request-id")));

    let panic = running
        .invoke(Event::json(json!({"do": "panic"})).request_id("req-panic"))
        .await;
    assert_eq!(panic.error_type(), Some("Function.Panic"));
    let timeout = running
        .invoke(
            Event::json(json!({"do": "hang"}))
                .request_id("req-hang")
                .deadline_in(Duration::from_millis(700)),
        )
        .await;
    assert_eq!(timeout.error_type(), Some("Function.Timeout"));
    let found = wait_files(dir.path(), 3).await;
    assert_eq!(found.len(), 3, "{found:?}");
    let scenes: Vec<Scene> = found.iter().map(|p| read(p)).collect();
    let panic = scenes
        .iter()
        .find(|s| s.context.request_id == "req-panic")
        .unwrap();
    assert_eq!(panic.reason, "panic");
    assert!(panic
        .error
        .as_ref()
        .unwrap()
        .message
        .contains("the order book is empty"));
    let hang = scenes
        .iter()
        .find(|s| s.context.request_id == "req-hang")
        .unwrap();
    assert_eq!(hang.reason, "timeout");
    assert_eq!(hang.error.as_ref().unwrap().error_type, "Function.Timeout");
    running.stop().await;
}

#[tokio::test]
async fn a_sampled_success_is_captured_as_a_sample() {
    let dir = tempfile::tempdir().unwrap();
    let sink = format!("dir:{}", dir.path().display());
    let running = start(&[
        ("LIGHT_RUNTIME_CAPTURE", "failures+sample:1"),
        ("LIGHT_RUNTIME_CAPTURE_SINK", &sink),
    ])
    .await;
    running
        .invoke(Event::json(json!({"n": 1})).request_id("req-ok"))
        .await;
    let found = wait_files(dir.path(), 1).await;
    assert_eq!(found.len(), 1);
    let scene = read(&found[0]);
    assert_eq!(
        (scene.reason.as_str(), scene.error.is_none()),
        ("sample", true)
    );
    running.stop().await;
}

/// A small seeded generator (xorshift), so a failing seed can be rerun.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn secret(&mut self, tag: &str) -> String {
        let alphabet = b"abcdefghijkmnpqrstuvwxyz23456789";
        let tail: String = (0..14)
            .map(|_| alphabet[(self.next() % 32) as usize] as char)
            .collect();
        format!("{tag}{tail}")
    }
    fn key_id(&mut self) -> String {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let prefix = if self.next() % 2 == 0 { "AKIA" } else { "ASIA" };
        let tail: String = (0..16)
            .map(|_| alphabet[(self.next() % 32) as usize] as char)
            .collect();
        format!("{prefix}{tail}")
    }
}

/// Puts `secret` at a random depth of `value` under `key`, among harmless keys.
fn bury(gen: &mut Gen, value: &mut Value, key: &str, secret: Value) {
    let mut at = value;
    for _ in 0..gen.next() % 4 {
        let name = gen.pick(&["order", "items", "meta", "customer", "payload"]);
        at = at
            .as_object_mut()
            .unwrap()
            .entry(name)
            .or_insert_with(|| json!({}));
        if !at.is_object() {
            return;
        }
    }
    at.as_object_mut().unwrap().insert(key.to_owned(), secret);
}

#[tokio::test]
async fn no_secret_from_any_placement_reaches_a_capture_over_many_seeds() {
    const SEEDS: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let sink = format!("dir:{}", dir.path().display());
    let env_secret = "EnvSecretAccessKey0123456789abcdefXYZ";
    let env_token = "EnvSessionTokenIQoJb3JpZ2luX2VjEHEaCXVzLWVhc3QtMSJH";
    let running = start(&[
        ("LIGHT_RUNTIME_CAPTURE", "failures"),
        ("LIGHT_RUNTIME_CAPTURE_SINK", &sink),
        ("LIGHT_RUNTIME_CAPTURE_RATE", "1000"),
        ("LIGHT_RUNTIME_CAPTURE_MAX_FILES", "1000"),
        (
            "LIGHT_RUNTIME_CAPTURE_REDACT",
            "/body/card,/headers/x-api-key,/detail/ssn",
        ),
        ("AWS_SECRET_ACCESS_KEY", env_secret),
        ("AWS_SESSION_TOKEN", env_token),
    ])
    .await;
    let mut all_secrets = vec![env_secret.to_owned(), env_token.to_owned()];
    for seed in 1..=SEEDS {
        let mut gen = Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut secrets = Vec::new();
        let mut event = json!({"do": "error", "seed": seed});
        // Sensitive keys at any depth, spelled as services spell them.
        for _ in 0..1 + gen.next() % 3 {
            let key = gen.pick(&[
                "password",
                "clientSecret",
                "access_token",
                "api_key",
                "Authorization",
                "sessionCookie",
                "db_passwd",
                "X-Api-Key-Token",
            ]);
            let secret = gen.secret("kv");
            bury(&mut gen, &mut event, key, json!(secret));
            secrets.push(secret);
        }
        // A non-string secret under a sensitive key.
        let pin = 100_000 + gen.next() % 899_999;
        bury(&mut gen, &mut event, "secret_pin", json!(pin));
        secrets.push(pin.to_string());
        // API Gateway headers and multi-value headers.
        let auth = gen.secret("bearer");
        let cookie = gen.secret("cookie");
        let api_key = gen.secret("apikey");
        let security = gen.secret("sectok");
        event["headers"] = json!({
            gen.pick(&["Authorization", "authorization"]): format!("Bearer {auth}"),
            "Cookie": format!("session={cookie}; theme=dark"),
            "x-api-key": api_key,
            "X-Amz-Security-Token": security,
            "Accept": "application/json",
        });
        event["multiValueHeaders"] = json!({"Cookie": [format!("session={cookie}")], "Proxy-Authorization": [format!("Basic {auth}")]});
        secrets.extend([auth.clone(), cookie.clone(), api_key.clone(), security]);
        // A JSON body in a string with a configured pointer and a sensitive key.
        let card = gen.secret("card");
        let body_password = gen.secret("bodypw");
        event["body"] = Value::String(
            json!({"card": card, "user": {"password": body_password}, "qty": 2}).to_string(),
        );
        secrets.extend([card.clone(), body_password.clone()]);
        // A configured pointer into plain JSON.
        let ssn = gen.secret("ssn");
        event["detail"] = json!({"ssn": ssn, "kind": "order"});
        secrets.push(ssn.clone());
        // A key id in a harmless field.
        let key_id = gen.key_id();
        event["note"] = json!(format!("uploaded with {key_id} yesterday"));
        secrets.push(key_id.clone());
        // Log lines that repeat secrets found elsewhere, and pairs in text.
        let logged = gen.secret("logpw");
        event["log"] = json!([
            format!("charging card {card}"),
            format!("user login password={logged} ok"),
            format!("env key {env_secret} and {key_id}"),
            format!("header was Bearer {auth}"),
        ]);
        secrets.push(logged);
        // The client context.
        let cc_token = gen.secret("cctok");
        let client_context = json!({"client": {"app_title": "shop"}, "custom": {"refresh_token": cc_token}, "env": {}});
        secrets.push(cc_token);
        // A platform header.
        let platform_auth = gen.secret("platauth");
        secrets.push(platform_auth.clone());

        let answer = running
            .invoke(
                Event::json(event)
                    .request_id(format!("seed-{seed}"))
                    .client_context(client_context.to_string())
                    .header("Authorization", platform_auth),
            )
            .await;
        assert_eq!(answer.error_type(), Some("Order.Rejected"), "seed {seed}");
        all_secrets.extend(secrets);
    }
    let found = wait_files(dir.path(), SEEDS as usize).await;
    assert_eq!(found.len(), SEEDS as usize);
    for path in &found {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        for secret in &all_secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret} reached {}:\n{text}",
                path.display()
            );
        }
        let scene = read(path);
        // What was not secret is still there, and the report lists the rest.
        assert_eq!(scene.event.body["headers"]["Accept"], "application/json");
        assert_eq!(scene.event.body["detail"]["kind"], "order");
        let body: Value = serde_json::from_str(scene.event.body["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["qty"], 2);
        assert_eq!(body["card"], "[redacted]");
        assert!(
            scene.redacted.iter().any(|p| p == "/event/body/body/card"),
            "{:?}",
            scene.redacted
        );
        assert!(
            scene.redacted.iter().any(|p| p == "/event/body/detail/ssn"),
            "{:?}",
            scene.redacted
        );
        assert_eq!(scene.logs.lines.len(), 4, "{:?}", scene.logs.lines);
    }
    running.stop().await;
}

#[tokio::test]
async fn a_key_hashes_redacted_values_so_equal_ones_compare_equal() {
    let dir = tempfile::tempdir().unwrap();
    let sink = format!("dir:{}", dir.path().display());
    let running = start(&[
        ("LIGHT_RUNTIME_CAPTURE", "failures"),
        ("LIGHT_RUNTIME_CAPTURE_SINK", &sink),
        ("LIGHT_RUNTIME_CAPTURE_KEY", "a-team-wide-key"),
    ])
    .await;
    running.invoke(Event::json(json!({"do": "error", "password": "same-password-1", "again": {"password": "same-password-1"}}))).await;
    let found = wait_files(dir.path(), 1).await;
    let scene = read(&found[0]);
    let a = scene.event.body["password"].as_str().unwrap();
    assert!(a.starts_with("hmac-sha256:") && a.len() == 76, "{a}");
    assert_eq!(scene.event.body["again"]["password"].as_str(), Some(a));
    running.stop().await;
}

#[tokio::test]
async fn rate_size_and_count_bounds_hold() {
    let dir = tempfile::tempdir().unwrap();
    let sink = format!("dir:{}", dir.path().display());
    let running = start(&[
        ("LIGHT_RUNTIME_CAPTURE", "failures"),
        ("LIGHT_RUNTIME_CAPTURE_SINK", &sink),
        ("LIGHT_RUNTIME_CAPTURE_RATE", "2"),
        ("LIGHT_RUNTIME_CAPTURE_MAX_BYTES", "6000"),
    ])
    .await;
    let big = "x".repeat(40_000);
    let lines: Vec<String> = (0..150)
        .map(|i| format!("line {i} {}", "y".repeat(100)))
        .collect();
    for i in 0..5 {
        running
            .invoke(Event::json(
                json!({"do": "error", "i": i, "big": big, "log": lines}),
            ))
            .await;
    }
    let found = wait_files(dir.path(), 2).await;
    // Rate: 2 per minute; the other three are dropped (and counted for
    // the next capture, a minute on).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(files(dir.path()).len(), 2, "{found:?}");
    for path in &found {
        let len = std::fs::metadata(path).unwrap().len();
        assert!(len <= 6000, "{} is {len} bytes", path.display());
        let scene = read(path);
        assert!(scene.event.truncated);
        assert_eq!(
            scene.event.original_bytes as usize,
            serde_json::to_vec(&json!({"do": "error", "i": 0, "big": big, "log": lines}))
                .unwrap()
                .len()
        );
        assert!(scene.logs.dropped > 0);
        assert!(
            scene.logs.lines.last().unwrap().contains("line 149"),
            "the newest lines are kept"
        );
    }
    running.stop().await;

    // Count: a folder keeps its newest N.
    let dir = tempfile::tempdir().unwrap();
    let sink = format!("dir:{}", dir.path().display());
    let running = start(&[
        ("LIGHT_RUNTIME_CAPTURE", "failures"),
        ("LIGHT_RUNTIME_CAPTURE_SINK", &sink),
        ("LIGHT_RUNTIME_CAPTURE_MAX_FILES", "2"),
    ])
    .await;
    for i in 0..4 {
        running
            .invoke(Event::json(json!({"do": "error"})).request_id(format!("count-{i}")))
            .await;
        wait_files(dir.path(), (i + 1).min(2)).await;
        // Names start with the time to the millisecond: keep them apart.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let kept = files(dir.path());
    let names: Vec<String> = kept
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names[0].ends_with("count-2.json") && names[1].ends_with("count-3.json"),
        "{names:?}"
    );
    running.stop().await;
}

#[tokio::test]
async fn the_http_sink_posts_each_capture_to_a_collector() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let collector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "post:http://{}/captures?team=orders",
        collector.local_addr().unwrap()
    );
    let running = start(&[
        ("LIGHT_RUNTIME_CAPTURE", "failures"),
        ("LIGHT_RUNTIME_CAPTURE_SINK", &url),
    ])
    .await;
    running
        .invoke(Event::json(json!({"do": "error"})).request_id("req-http"))
        .await;
    let received = tokio::time::timeout(WAIT, async {
        let (mut stream, _) = collector.accept().await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length: usize = text[..head_end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap();
                if got.len() >= head_end + 4 + length {
                    stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await
                        .unwrap();
                    return got;
                }
            }
            assert!(n > 0, "the sink closed early");
        }
    })
    .await
    .expect("a request within the bound");
    let text = String::from_utf8(received).unwrap();
    assert!(
        text.starts_with("POST /captures?team=orders HTTP/1.1\r\n"),
        "{text}"
    );
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    let scene = Scene::from_slice(body.as_bytes()).unwrap();
    assert_eq!(scene.context.request_id, "req-http");
    running.stop().await;
}

#[tokio::test]
async fn an_invalid_setting_stops_the_function_at_start_with_the_reason() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
        ("LIGHT_RUNTIME_CAPTURE", "failures".into()),
        (
            "LIGHT_RUNTIME_CAPTURE_SINK",
            "https://bucket.example/upload".into(),
        ),
    ]);
    let result = tokio::time::timeout(
        WAIT,
        Runtime::builder()
            .with_environment(env)
            .run_until(handler, CancellationToken::new()),
    )
    .await
    .expect("stops by itself");
    let error = result.unwrap_err().to_string();
    assert!(
        error.contains("LIGHT_RUNTIME_CAPTURE_SINK") && error.contains("https"),
        "{error}"
    );
}
