//! The timeout layer's margin, as the handler and the platform see it.

use std::time::{Duration, Instant};

use light_runtime::engine::CancellationToken;
use light_runtime::layers::TimeoutLayer;
use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

/// Waits for cancellation and reports how much time was left, or ignores it.
async fn handler(event: Value, ctx: Context) -> Result<Value, Error> {
    if event["ignore"] == true {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    ctx.cancellation().cancelled().await;
    Ok(json!({ "remaining_ms": ctx.remaining().unwrap().as_millis() as u64 }))
}

#[tokio::test]
async fn the_margin_cancels_early_and_a_late_handler_times_out_before_the_deadline() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
        ("LIGHT_RUNTIME_TIMEOUT_MARGIN_MS", "400".into()),
    ]);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env.clone())
            .lifecycle_layer(TimeoutLayer::from_environment(&env))
            .run_until(handler, shutdown.clone()),
    );
    let id = emulator.push(Event::json(json!({})).deadline_in(Duration::from_millis(1000)));
    let result = emulator.result(&id, WAIT).await.expect("an answer");
    let remaining = result.body_json().unwrap()["remaining_ms"]
        .as_u64()
        .unwrap();
    assert!(
        (300..=400).contains(&remaining),
        "cancelled with {remaining} ms left"
    );

    let pushed = Instant::now();
    let id = emulator
        .push(Event::json(json!({"ignore": true})).deadline_in(Duration::from_millis(1000)));
    let result = emulator.result(&id, WAIT).await.expect("an answer");
    assert_eq!(result.error_type(), Some("Function.Timeout"));
    assert!(
        pushed.elapsed() < Duration::from_millis(1000),
        "posted before the deadline"
    );
    light_runtime_testkit::stop_runtime(&shutdown, task).await;
}
