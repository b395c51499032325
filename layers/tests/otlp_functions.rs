//! Spans of a binary holding several functions, as an OTLP collector
//! receives them: each names the function that served. (A file of its
//! own: the tracing layer installs the process's subscriber once.)

use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::otlp::OtlpReceiver;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

async fn orders(event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(event)
}

async fn users(_event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(json!({"users": []}))
}

#[tokio::test]
async fn spans_name_which_of_several_functions_served() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "shop".into()),
        ("_HANDLER", "users".into()),
        ("LIGHT_RUNTIME_LAYERS", "tracing".into()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
    ]);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .function("orders", orders)
            .function("users", users)
            .run_until(shutdown.clone()),
    );
    let id = emulator.push(Event::json(json!({})));
    let answer = emulator.result(&id, WAIT).await.expect("an answer");
    assert_eq!(answer.body_json().unwrap(), json!({"users": []}));
    // The freeze before the next `next` exports the span.
    assert!(receiver.wait_until(WAIT, |r| !r.spans().is_empty()).await);
    light_runtime_testkit::stop_runtime(&shutdown, task).await;

    let spans = receiver.spans();
    let span = spans
        .iter()
        .find(|s| s.attributes.get("faas.invocation_id") == Some(&id))
        .unwrap_or_else(|| panic!("no span for {id}"));
    assert_eq!(span.attributes["faas.name"], "shop");
    assert_eq!(span.attributes["light_runtime.handler"], "users");
}
