//! Web mode's faults, each with exactly one answer to the platform: the
//! app crashes mid-request (`502` saying how it ended, then restarted and
//! serving), the app is slower than the deadline (the timeout error), the
//! app's body is over the platform's limit (a clear error, not a truncated
//! body), the app never becomes ready (an init error naming the port and
//! the probe), and a slow app with `--async-init`.

mod web_support;

use std::time::Duration;

use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use serde_json::{json, Value};
use web_support::{Start, WAIT};

fn aws_env(emulator: &LambdaEmulator) -> Vec<(String, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), "orders".into()),
    ]
}

/// An HTTP API (v2) event for `GET path`.
fn get(path: &str) -> Value {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "api.example.com"},
        "requestContext": {
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "198.51.100.7", "userAgent": "test"},
            "requestId": "gw-1",
            "routeKey": "$default",
            "stage": "$default"
        },
        "isBase64Encoded": false
    })
}

async fn answer(emulator: &LambdaEmulator, event: Event) -> InvocationResult {
    let id = emulator.push(event);
    let result = emulator.result(&id, WAIT).await.expect("answered in time");
    assert_eq!(emulator.answers_for(&id), 1, "exactly one answer for {id}");
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_request_is_a_502_then_the_restarted_app_serves() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let web = Start::python(aws_env(&emulator)).spawn();

    let crashed = answer(&emulator, Event::json(get("/crash"))).await;
    let response = crashed.body_json().expect("a gateway response");
    assert_eq!(response["statusCode"], 502, "{response}");
    assert_eq!(response["body"], "app exited: exit status 1\n");

    let served = answer(&emulator, Event::json(get("/echo/after"))).await;
    let response = served.body_json().unwrap();
    assert_eq!(
        response["statusCode"], 200,
        "served after the restart: {response}"
    );

    // Dying with the answer half sent is the same: a gateway's answer is
    // read whole before it goes back, so nothing truncated reaches it.
    let crashed = answer(&emulator, Event::json(get("/crash-mid-body"))).await;
    let response = crashed.body_json().expect("a gateway response");
    assert_eq!(response["statusCode"], 502, "{response}");
    assert_eq!(response["body"], "app exited: exit status 1\n");
    let served = answer(&emulator, Event::json(get("/echo/again"))).await;
    assert_eq!(served.body_json().unwrap()["statusCode"], 200);

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_slower_than_the_deadline_gets_the_timeout_error() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let web = Start::python(aws_env(&emulator)).spawn();

    let event = Event::json(get("/slow?ms=3000")).deadline_in(Duration::from_millis(800));
    let timed_out = answer(&emulator, event).await;
    assert!(timed_out.is_error(), "{timed_out:?}");
    let error_type = timed_out.error_type().unwrap_or_default().to_owned();
    assert!(
        error_type.contains("Timeout") || error_type.contains("Timedout"),
        "{timed_out:?}"
    );

    let served = answer(&emulator, Event::json(get("/echo/next"))).await;
    assert_eq!(served.body_json().unwrap()["statusCode"], 200);

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_a_clear_error_declared_or_chunked() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let web = Start::python(aws_env(&emulator)).spawn();

    for path in ["/big?bytes=7000000", "/big?bytes=7000000&chunked=1"] {
        let refused = answer(&emulator, Event::json(get(path))).await;
        assert_eq!(
            refused.error_type(),
            Some("Function.ResponseSizeTooLarge"),
            "{path}: {refused:?}"
        );
        let message = refused.error_message().unwrap_or_default().to_owned();
        assert!(message.contains("6 MB"), "{path}: {message}");
    }
    // Under the limit, a chunked body is answered whole.
    let fits = answer(&emulator, Event::json(get("/big?bytes=1000000&chunked=1"))).await;
    let response = fits.body_json().unwrap();
    assert_eq!(response["body"].as_str().map(str::len), Some(1_000_000));

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_that_never_becomes_ready_fails_init_naming_the_port_and_the_probe() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let web = Start::python(aws_env(&emulator))
        .var("NEVER_READY", "1")
        .option("--readiness")
        .option("/health")
        .option("--ready-timeout")
        .option("1500ms")
        .spawn();
    let port = web.app_port;

    let init_error = emulator
        .wait_init_error(WAIT)
        .await
        .expect("the init error is reported");
    let message = init_error.body_json().unwrap()["errorMessage"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("not ready within 1500 ms"), "{message}");
    assert!(
        message.contains(&format!("GET /health on 127.0.0.1:{port}")),
        "{message}"
    );
    assert!(
        message.contains("503"),
        "the last probe's answer: {message}"
    );
    let status = web.exited().await;
    assert!(!status.success(), "init failed: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_init_answers_init_in_time_and_the_first_request_waits() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let web = Start::python(aws_env(&emulator))
        .var("START_DELAY_MS", "1500")
        .option("--ready-timeout")
        .option("200ms")
        .option("--async-init")
        .spawn();

    let served = answer(&emulator, Event::json(get("/echo/first"))).await;
    assert_eq!(served.body_json().unwrap()["statusCode"], 200, "{served:?}");
    assert!(emulator.init_error().is_none(), "init answered in time");

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_app_fails_with_a_server_error_is_an_invocation_error() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let web = Start::python(aws_env(&emulator))
        .option("--events-path")
        .option("/status/500")
        .spawn();

    let failed = answer(&emulator, Event::json(json!({"Records": [{"body": "1"}]}))).await;
    assert_eq!(failed.error_type(), Some("App.EventFailed"), "{failed:?}");
    let message = failed.error_message().unwrap_or_default().to_owned();
    assert!(message.contains("500 Internal Server Error"), "{message}");
    assert!(message.contains("/status/500"), "{message}");
    assert!(message.contains("status 500"), "the app's body: {message}");

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_that_cannot_start_fails_init_naming_the_command() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut start = Start::python(aws_env(&emulator));
    start.app = vec!["/nonexistent/web-app".into(), "--serve".into()];
    let web = start.spawn();

    let init_error = emulator
        .wait_init_error(WAIT)
        .await
        .expect("the init error is reported");
    let message = init_error.body_json().unwrap()["errorMessage"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("cannot start `/nonexistent/web-app --serve`"),
        "{message}"
    );
    let status = web.exited().await;
    assert!(!status.success(), "init failed: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_that_exits_before_it_is_ready_fails_init_saying_how() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut start = Start::python(aws_env(&emulator));
    start.app = vec!["sh".into(), "-c".into(), "exit 3".into()];
    let web = start.spawn();

    let init_error = emulator
        .wait_init_error(WAIT)
        .await
        .expect("the init error is reported");
    let message = init_error.body_json().unwrap()["errorMessage"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("exited before it was ready"), "{message}");
    assert!(message.contains("exit status 3"), "{message}");
    let status = web.exited().await;
    assert!(!status.success(), "init failed: {status}");
}
