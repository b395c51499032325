//! Handlers returning the error types existing Lambda code returns
//! (`anyhow::Result`, `Box<dyn Error + Send + Sync>`, a library's
//! `Error`), as the platform sees their `errorType` and `errorMessage`.

use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Handler, Runtime};
use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use light_runtime_testkit::stop_runtime;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Runs `handler` for one event; returns how the platform was answered.
async fn answer_of<H, M>(handler: H) -> InvocationResult
where
    H: Handler<M> + Send + 'static,
    M: 'static,
{
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())]);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .run_until(handler, shutdown.clone()),
    );
    let id = emulator.push(Event::json(json!({"n": "x"})));
    let result = emulator.result(&id, WAIT).await.expect("an answer");
    stop_runtime(&shutdown, task).await;
    result
}

fn assert_error(result: &InvocationResult, error_type: &str, message: &str) {
    assert!(result.is_error(), "{result:?}");
    assert_eq!(result.error_type(), Some(error_type), "{result:?}");
    assert_eq!(result.error_message(), Some(message), "{result:?}");
}

fn parse_failure() -> std::num::ParseIntError {
    "x".parse::<u32>().unwrap_err()
}

#[tokio::test]
async fn a_concrete_error_keeps_its_type_name() {
    let result =
        answer_of(|_: Value, _: Context| async move { Err::<Value, _>(parse_failure()) }).await;
    assert_error(&result, "ParseIntError", "invalid digit found in string");
}

#[tokio::test]
async fn an_error_type_named_error_keeps_its_crate_or_module() {
    let result = answer_of(|_: Value, _: Context| async move {
        serde_json::from_str::<Value>("{").map(|_| json!(null))
    })
    .await;
    assert_error(
        &result,
        "serde_json::Error",
        "EOF while parsing an object at line 1 column 1",
    );

    let result = answer_of(|_: Value, _: Context| async move {
        Err::<Value, _>(std::io::Error::other("disk on fire"))
    })
    .await;
    assert_error(&result, "io::Error", "disk on fire");
}

#[tokio::test]
async fn a_boxed_error_is_accepted_and_keeps_a_known_type() {
    let result = answer_of(|_: Value, _: Context| async move {
        let n: u32 = "x".parse()?;
        Ok::<Value, BoxError>(json!(n))
    })
    .await;
    assert_error(&result, "ParseIntError", "invalid digit found in string");

    let result =
        answer_of(
            |_: Value, _: Context| async move { Err::<Value, BoxError>("no such order".into()) },
        )
        .await;
    assert_error(&result, "Error", "no such order");
}

#[tokio::test]
async fn anyhow_errors_are_accepted() {
    let result = answer_of(|_: Value, _: Context| async move {
        anyhow::bail!("order {} is out of stock", 42);
        #[allow(unreachable_code)]
        Ok(json!(null))
    })
    .await;
    assert_error(&result, "anyhow::Error", "order 42 is out of stock");
}

/// With the `anyhow` feature the root cause's type is named, when it is
/// one the runtime knows.
#[cfg(feature = "anyhow")]
#[tokio::test]
async fn anyhow_errors_name_their_root_cause() {
    use anyhow::Context as _;
    let result = answer_of(|_: Value, _: Context| async move {
        let n: u32 = "x".parse()?;
        Ok::<Value, anyhow::Error>(json!(n))
    })
    .await;
    assert_error(&result, "ParseIntError", "invalid digit found in string");

    let result = answer_of(|_: Value, _: Context| async move {
        let text = std::fs::read_to_string("/nonexistent/light-runtime/config")
            .context("reading the config")?;
        Ok::<Value, anyhow::Error>(json!(text))
    })
    .await;
    assert_error(&result, "io::Error", "reading the config");
}

#[tokio::test]
async fn light_runtime_errors_keep_their_explicit_type() {
    let result = answer_of(|_: Value, _: Context| async move {
        Err::<Value, _>(light_runtime::Error::with_type(
            "Order.OutOfStock",
            "item 42 is out of stock",
        ))
    })
    .await;
    assert_error(&result, "Order.OutOfStock", "item 42 is out of stock");
}
