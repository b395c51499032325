//! Log lines in a binary of several functions: each names the one that
//! served. (A file of its own: the logging layer installs the process's
//! subscriber once, so each test of lines needs its own process.)

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

async fn orders(_event: Value, _ctx: Context) -> Result<Value, Error> {
    tracing::info!("listing orders");
    Ok(json!({"orders": []}))
}

async fn users(_event: Value, _ctx: Context) -> Result<Value, Error> {
    tracing::info!("listing users");
    Ok(json!({"users": []}))
}

/// In a binary of several functions, each line names the one that served.
#[tokio::test]
async fn lines_name_which_of_several_functions_served() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "shop".into()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
        ("_HANDLER", "users".into()),
    ]);
    let lines = Lines::default();
    let writer = lines.clone();
    let logging = LoggingLayer::from_environment(&env).with_writer(move || writer.clone());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .lifecycle_layer(logging)
            .function("orders", orders)
            .function("users", users)
            .run_until(shutdown.clone()),
    );
    let id = emulator.push(Event::json(json!({})));
    assert!(!emulator
        .result(&id, WAIT)
        .await
        .expect("an answer")
        .is_error());
    light_runtime_testkit::stop_runtime(&shutdown, task).await;

    let text = lines.text();
    let line: Value = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|line| line["message"] == "listing users")
        .unwrap_or_else(|| panic!("no line from `users`:\n{text}"));
    assert_eq!(line["requestId"], id);
    assert_eq!(line["functionName"], "shop");
    assert_eq!(line["handler"], "users");
}
