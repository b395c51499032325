//! Log lines as CloudWatch would store them: JSON with Lambda's field
//! names, the request id on every line logged during an invocation, and
//! neither the payload nor a secret anywhere.

#[path = "support/lines.rs"]
mod lines;

use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::layers::LoggingLayer;
use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use lines::Lines;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);
const PAYLOAD_MARKER: &str = "card-4242-4242";
const SECRET: &str = "hunter2";

async fn handler(event: Value, _ctx: Context) -> Result<Value, Error> {
    tracing::info!(
        password = SECRET,
        api_token = SECRET,
        items = 3,
        "handling order"
    );
    tracing::debug!("details");
    tokio::task::yield_now().await;
    tracing::warn!(card = event["card"].as_str().map(str::len), "after a yield");
    tracing::trace!("too fine to show at DEBUG");
    Ok(json!({"ok": true}))
}

#[tokio::test]
async fn json_lines_carry_the_request_id_and_never_the_payload_or_secrets() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
        ("AWS_LAMBDA_LOG_LEVEL", "DEBUG".into()),
    ]);
    let lines = Lines::default();
    let writer = lines.clone();
    let logging = LoggingLayer::from_environment(&env).with_writer(move || writer.clone());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .lifecycle_layer(logging)
            .run_until(handler, shutdown.clone()),
    );
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = emulator.push(Event::json(json!({ "card": PAYLOAD_MARKER })));
        assert!(!emulator
            .result(&id, WAIT)
            .await
            .expect("an answer")
            .is_error());
        ids.push(id);
    }
    light_runtime_testkit::stop_runtime(&shutdown, task).await;

    let text = lines.text();
    assert!(
        !text.contains(PAYLOAD_MARKER),
        "the payload was logged:\n{text}"
    );
    assert!(!text.contains(SECRET), "a secret was logged:\n{text}");
    let parsed: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let handler_lines: Vec<&Value> = parsed.iter().filter(|l| l["logger"] == "logging").collect();
    assert_eq!(
        handler_lines.len(),
        9,
        "info, debug and warn per invocation:\n{text}"
    );
    for line in &handler_lines {
        let request_id = line["requestId"].as_str().expect("requestId on every line");
        assert!(ids.iter().any(|id| id == request_id), "{line}");
        assert_eq!(line["functionName"], "orders");
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(["INFO", "DEBUG", "WARN"].contains(&line["level"].as_str().unwrap()));
    }
    let first = handler_lines
        .iter()
        .find(|l| l["message"] == "handling order")
        .unwrap();
    assert_eq!(first["password"], "[redacted]");
    assert_eq!(first["api_token"], "[redacted]");
    assert_eq!(first["items"], 3);
}
