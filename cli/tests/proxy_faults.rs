//! The child misbehaving behind `light-runtime proxy`, each fault with
//! exactly one answer to the platform: init failures (`/init/error`, an
//! exit before `next`, no `next` within the init timeout), answers twice
//! or for an unknown id, a response over 6 MiB, streams (whole, HTTP with
//! a prelude, failing midway with trailers), a child dying with an
//! invocation queued, a child that stops asking for `next`, restarts with
//! an extension, concurrency, and shutdown (SIGTERM and FC's `/pre-stop`)
//! forwarded to the child with the grace, its extension told SHUTDOWN.
//! The child is a hand-written Runtime API client
//! (`tests/python/raw_client.py`, standard library only), or the test
//! itself speaking HTTP/1.1 by hand.

mod proxy_support;

use std::time::Duration;

use light_runtime_testkit::lambda::Event;
use proxy_support::{python_dir, Platform, Proxy, WAIT};
use serde_json::json;

fn raw_client(args: &[&str]) -> Vec<String> {
    let script = python_dir().join("raw_client.py");
    let mut command = vec!["python3".to_owned(), script.display().to_string()];
    command.extend(args.iter().map(|arg| (*arg).to_owned()));
    command
}

fn aws(platform: &Platform) -> &light_runtime_testkit::LambdaEmulator {
    match platform {
        Platform::Aws(aws) => aws,
        _ => unreachable!("an AWS platform"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_childs_init_error_is_the_platforms_init_error() {
    let platform = Platform::aws().await;
    let mut proxy = Proxy::start(&platform.env(), &[], &raw_client(&["init-error"]));
    let reported = aws(&platform)
        .wait_init_error(WAIT)
        .await
        .expect("init error reported to the platform");
    let message = reported.body_json().unwrap()["errorMessage"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("Config.Missing"), "{message}");
    assert!(message.contains("DB_URL is not set"), "{message}");
    let (status, stderr) = proxy.exited().await;
    assert!(!status.success(), "init failure exits non-zero\n{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_exits_before_next_fails_fcs_initialize() {
    let platform = Platform::fc();
    let mut proxy = Proxy::start(&platform.env(), &[], &raw_client(&["exit-early"]));
    let Platform::Fc(fc) = &platform else {
        unreachable!()
    };
    assert!(fc.wait_ready(WAIT).await);
    let reply = fc.initialize().await.unwrap();
    assert_eq!(reply.status, 500, "{reply:?}");
    let body = String::from_utf8_lossy(&reply.body).into_owned();
    assert!(body.contains("Runtime.ExitError"), "{body}");
    assert!(body.contains("exit status 7"), "{body}");
    let (status, _) = proxy.exited().await;
    assert!(!status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_never_asks_for_next_fails_init_at_the_init_timeout() {
    let platform = Platform::aws().await;
    let started = std::time::Instant::now();
    let mut proxy = Proxy::start(
        &platform.env(),
        &["--init-timeout", "1s"],
        &raw_client(&["never-next"]),
    );
    let reported = aws(&platform)
        .wait_init_error(WAIT)
        .await
        .expect("init error");
    let message = reported.body_json().unwrap()["errorMessage"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("Runtime.InitTimeout"), "{message}");
    assert!(message.contains("1000 ms"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let (status, _) = proxy.exited().await;
    assert!(!status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_and_stray_answers_are_refused_as_lambda_refuses_them() {
    let platform = Platform::aws().await;
    let proxy = Proxy::start(&platform.env(), &[], &raw_client(&["serve"]));
    platform.ready().await;

    assert_eq!(
        platform.invoke(r#"{"do":"twice"}"#).await.ok(),
        &json!("first")
    );
    let big = platform.invoke(r#"{"do":"big"}"#).await;
    let (error_type, message) = big.error();
    assert_eq!(error_type, "Function.ResponseSizeTooLarge", "{message}");
    assert!(message.contains("6291556"), "{message}");

    let report = platform.invoke(r#"{"do":"report"}"#).await;
    assert_eq!(
        report.ok(),
        &json!({"second": 403, "unknown": 400, "late_init_error": 403, "big": 413})
    );

    let emulator = aws(&platform);
    let id = emulator.push(Event::json(json!({"do": "stream"})));
    let streamed = emulator
        .wait_streamed(&id, WAIT, |s| s.body().as_ref() == b"one,two,three")
        .await
        .expect("the streamed chunks reach the platform");
    assert_eq!(streamed.error_type(), None);
    assert_eq!(
        platform.invoke(r#"{"do":"report"}"#).await.ok()["stream"],
        202
    );

    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");
}

async fn shutdown_reaches_the_child(platform: Platform) {
    let notes = tempfile::tempdir().unwrap();
    let file = notes.path().join("notes.txt");
    let mut proxy = Proxy::start(
        &platform.env(),
        &["--shutdown-grace", "3s"],
        &raw_client(&["sigterm", &file.display().to_string()]),
    );
    platform.ready().await;
    assert_eq!(platform.invoke(r#"{"n":1}"#).await.ok(), &json!({"n": 1}));
    let (status, stderr) = match platform {
        Platform::Fc(_) => {
            platform.pre_stop().await;
            proxy.exited().await
        }
        _ => proxy.terminate().await,
    };
    assert!(status.success(), "{status}\n{stderr}");
    let notes = std::fs::read_to_string(&file).unwrap_or_default();
    let mut lines: Vec<&str> = notes.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["SHUTDOWN", "SIGTERM"], "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_is_forwarded_to_the_child_with_its_extension_told_shutdown() {
    shutdown_reaches_the_child(Platform::aws().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fcs_pre_stop_is_forwarded_to_the_child() {
    shutdown_reaches_the_child(Platform::fc()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_managed_instance_concurrency_the_child_holds_several_invocations() {
    let Platform::Aws(aws) = Platform::aws().await else {
        unreachable!()
    };
    let env = [
        ("AWS_LAMBDA_RUNTIME_API".to_owned(), aws.runtime_api()),
        ("AWS_LAMBDA_MAX_CONCURRENCY".to_owned(), "3".to_owned()),
    ];
    let proxy = Proxy::start(&env, &[], &raw_client(&["serve-threads", "3"]));
    assert!(aws.wait_next_waiting(3, WAIT).await, "three pull loops");
    let ids: Vec<String> = (0..3)
        .map(|n| aws.push(Event::json(json!({"do": "wait", "n": n}))))
        .collect();
    for (n, id) in ids.iter().enumerate() {
        let result = aws.result(id, WAIT).await.expect("answered");
        assert_eq!(result.body_json().unwrap()["n"], n);
        assert_eq!(aws.answers_for(id), 1);
    }
    assert_eq!(aws.max_in_flight(), 3, "all three were held at once");
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_http_response_reaches_fc_with_its_status_headers_and_body() {
    let platform = Platform::fc();
    let proxy = Proxy::start(&platform.env(), &[], &raw_client(&["serve"]));
    platform.ready().await;
    let Platform::Fc(fc) = &platform else {
        unreachable!()
    };
    let request = http::Request::get("/stream-http")
        .body(bytes::Bytes::new())
        .unwrap();
    let reply = fc.http_invoke(request).await.unwrap();
    assert_eq!(reply.status, 202, "{reply:?}");
    assert_eq!(reply.header("x-streamed"), Some("yes"));
    assert_eq!(reply.header("set-cookie"), Some("c=1"));
    assert_eq!(reply.body.as_ref(), b"hello world");
    platform.pre_stop().await;
    let mut proxy = proxy;
    let (status, stderr) = proxy.exited().await;
    assert!(status.success(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invocation_waiting_when_the_child_dies_is_served_by_the_next_child() {
    let platform = Platform::aws().await;
    let proxy = Proxy::start(&platform.env(), &[], &raw_client(&["serve"]));
    platform.ready().await;
    let emulator = aws(&platform);
    let last = emulator.push(Event::json(json!({"do": "exit-after-answer"})));
    let waiting = emulator.push(Event::json(json!({"n": 1})));
    let answered = emulator.result(&last, WAIT).await.expect("answered");
    assert_eq!(answered.body_json().unwrap()["do"], "exit-after-answer");
    let served = emulator.result(&waiting, WAIT).await.expect("answered");
    assert!(!served.is_error(), "{served:?}");
    assert_eq!(served.body_json().unwrap(), json!({"n": 1}));
    assert_eq!(emulator.answers_for(&waiting), 1);
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_stops_asking_for_next_is_reset_at_the_deadline() {
    let platform = Platform::aws().await;
    let proxy = Proxy::start(&platform.env(), &[], &raw_client(&["serve"]));
    platform.ready().await;
    let stall = platform.invoke(r#"{"do":"stall-after-answer"}"#).await;
    assert_eq!(stall.ok()["do"], "stall-after-answer");
    let stuck = platform.invoke(r#"{"n":1}"#).await;
    let (error_type, message) = stuck.error();
    assert_eq!(error_type, "Function.Timeout");
    assert!(message.contains("holding no invocation"), "{message}");
    let served = platform.invoke(r#"{"n":2}"#).await;
    assert_eq!(served.ok(), &json!({"n": 2}), "a new child serves");
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_restarted_child_registers_its_extension_anew() {
    let notes = tempfile::tempdir().unwrap();
    let file = notes.path().join("notes.txt");
    let platform = Platform::aws().await;
    let proxy = Proxy::start(
        &platform.env(),
        &[],
        &raw_client(&["sigterm", &file.display().to_string()]),
    );
    platform.ready().await;
    // More restarts than the ten extensions Lambda allows at once.
    for _ in 0..11 {
        let exited = platform.invoke(r#"{"do":"exit"}"#).await;
        let (error_type, message) = exited.error();
        assert_eq!(error_type, "Runtime.ExitError");
        assert!(message.contains("exit status 3"), "{message}");
    }
    assert_eq!(platform.invoke(r#"{"n":1}"#).await.ok(), &json!({"n": 1}));
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");
}

/// The test itself as the runtime client: the child only tells where the
/// proxy's Runtime API is, then waits.
async fn runtime_api_of_a_waiting_child(
    platform: &Platform,
    dir: &std::path::Path,
) -> (Proxy, String) {
    let file = dir.join("api");
    let script = format!(
        "printf %s \"$AWS_LAMBDA_RUNTIME_API\" > {}.tmp && mv {0}.tmp {0} && exec sleep 120",
        file.display()
    );
    let proxy = Proxy::start(&platform.env(), &[], &["sh".into(), "-c".into(), script]);
    let started = std::time::Instant::now();
    loop {
        if let Ok(api) = std::fs::read_to_string(&file) {
            return (proxy, api);
        }
        assert!(started.elapsed() < WAIT, "the child wrote where the API is");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends `request` on a new connection and reads the reply's head and body
/// (by `Content-Length`).
async fn exchange(api: &str, request: &[u8]) -> (String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(api).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    let reply = tokio::time::timeout(WAIT, async {
        loop {
            let n = stream.read(&mut buffer).await.unwrap();
            assert!(n > 0, "the connection closed early");
            read.extend_from_slice(&buffer[..n]);
            let Some(end) = read.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&read[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |value| value.trim().parse().unwrap());
            if read.len() >= end + 4 + length {
                return (head, read[end + 4..end + 4 + length].to_vec());
            }
        }
    });
    reply.await.expect("a reply")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_fails_midway_fails_the_invocation_with_its_trailers() {
    let dir = tempfile::tempdir().unwrap();
    let platform = Platform::aws().await;
    let (proxy, api) = runtime_api_of_a_waiting_child(&platform, dir.path()).await;
    let emulator = aws(&platform);
    let next = exchange(
        &api,
        b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: api\r\n\r\n",
    );
    let id = emulator.push(Event::json(json!({"n": 1})));
    let (head, body) = next.await;
    assert!(
        head.contains(&format!("lambda-runtime-aws-request-id: {id}")),
        "{head}"
    );
    assert_eq!(body, br#"{"n":1}"#);

    use base64::Engine;
    let details =
        base64::engine::general_purpose::STANDARD.encode(br#"{"errorMessage":"disk gone"}"#);
    let post = format!(
        "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nHost: api\r\n\
         Lambda-Runtime-Function-Response-Mode: streaming\r\nContent-Type: text/plain\r\n\
         Transfer-Encoding: chunked\r\n\
         Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n\
         6\r\nhello \r\n0\r\nLambda-Runtime-Function-Error-Type: Function.StreamBroke\r\n\
         Lambda-Runtime-Function-Error-Body: {details}\r\n\r\n"
    );
    let (head, _) = exchange(&api, post.as_bytes()).await;
    assert!(head.starts_with("http/1.1 202"), "{head}");
    let streamed = emulator
        .wait_streamed(&id, WAIT, |s| s.complete)
        .await
        .expect("the stream reached the platform");
    assert_eq!(streamed.body().as_ref(), b"hello ");
    assert_eq!(streamed.error_type(), Some("Function.StreamBroke"));
    assert_eq!(streamed.error_body().unwrap()["errorMessage"], "disk gone");
    assert!(emulator.result(&id, WAIT).await.is_some());
    assert_eq!(emulator.answers_for(&id), 1);
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_childs_next_carries_every_lambda_header_from_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let platform = Platform::aws().await;
    let (proxy, api) = runtime_api_of_a_waiting_child(&platform, dir.path()).await;
    let emulator = aws(&platform);
    let next = exchange(
        &api,
        b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: api\r\n\r\n",
    );
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let client_context = r#"{"client":{"installation_id":"i-1"},"custom":{"k":"v"},"env":{}}"#;
    let identity = r#"{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}"#;
    let id = emulator.push(
        Event::json(json!({"n": 1}))
            .trace_id(trace)
            .client_context(client_context)
            .cognito_identity(identity)
            .tenant_id("tenant-7")
            .deadline_in(Duration::from_secs(60)),
    );
    let (head, _) = next.await;
    let header = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no {name} in {head}"))
    };
    assert_eq!(header("lambda-runtime-aws-request-id"), id);
    assert_eq!(
        header("lambda-runtime-trace-id"),
        trace.to_ascii_lowercase()
    );
    assert_eq!(
        header("lambda-runtime-client-context"),
        client_context.to_ascii_lowercase()
    );
    assert_eq!(
        header("lambda-runtime-cognito-identity"),
        identity.to_ascii_lowercase()
    );
    assert_eq!(header("lambda-runtime-aws-tenant-id"), "tenant-7");
    assert!(header("lambda-runtime-invoked-function-arn").starts_with("arn:aws:lambda:"));
    let deadline: u64 = header("lambda-runtime-deadline-ms").parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        deadline > now + 50_000 && deadline <= now + 60_000,
        "{deadline} vs {now}"
    );

    let answer = format!(
        "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nHost: api\r\nContent-Length: 2\r\n\r\nok"
    );
    let (head, _) = exchange(&api, answer.as_bytes()).await;
    assert!(head.starts_with("http/1.1 202"), "{head}");
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");
}
