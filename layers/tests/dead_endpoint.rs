//! An OTLP endpoint that never answers: invocations still succeed, their
//! responses are not delayed, shutdown stays within its budget, and what
//! could not be sent is counted.

use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::layers::{MetricsLayer, TracingLayer};
use light_runtime::{Budgets, Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::{json, Value};
use tokio::net::TcpListener;

const WAIT: Duration = Duration::from_secs(10);

async fn echo(event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(event)
}

#[tokio::test]
async fn a_silent_endpoint_never_delays_or_fails_an_invocation() {
    // Accepts connections and never answers: the worst kind of dead.
    let blackhole = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", blackhole.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = blackhole.accept().await {
            open.push(stream);
        }
    });
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "5000".into()),
    ]);
    let metrics = MetricsLayer::from_environment(&env);
    let tracing = TracingLayer::from_environment(&env);
    let freeze = Duration::from_millis(500);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .with_budgets(
                Budgets::default()
                    .with_freeze(freeze)
                    .with_close(Duration::from_millis(400)),
            )
            .lifecycle_layer(metrics.clone())
            .lifecycle_layer(tracing.clone())
            .run_until(echo, shutdown.clone()),
    );

    // Cold start: the Freeze before the first `next` exports nothing, so a
    // dead endpoint does not delay the runtime's first poll.
    let booting = std::time::Instant::now();
    assert!(emulator.wait_next_waiting(1, WAIT).await, "runtime polls");
    let boot = booting.elapsed();
    assert!(
        boot < freeze / 5,
        "a dead endpoint delayed the first `next` by {boot:?}"
    );

    // The first answer never waits for an export: exports happen after it.
    let first = std::time::Instant::now();
    let id = emulator.push(Event::json(json!({"n": 0})));
    assert!(!emulator
        .result(&id, WAIT)
        .await
        .expect("an answer")
        .is_error());
    let first_latency = first.elapsed();

    // After the first failed flush the exporters back off: later
    // invocations are not held up by freezes that would wait again.
    emulator.push(Event::json(json!({"n": 1})));
    let started = std::time::Instant::now();
    for n in 2..12 {
        let id = emulator.push(Event::json(json!({ "n": n })));
        let result = emulator.result(&id, WAIT).await.expect("an answer");
        assert_eq!(result.body_json().unwrap(), json!({ "n": n }));
    }
    let later = started.elapsed();
    assert!(
        first_latency < freeze,
        "first response took {first_latency:?}"
    );
    assert!(
        later < freeze * 2,
        "ten invocations took {later:?} with a dead endpoint"
    );

    let stopping = std::time::Instant::now();
    light_runtime_testkit::stop_runtime(&shutdown, task).await;
    assert!(
        stopping.elapsed() < Duration::from_millis(450),
        "Close took {:?}",
        stopping.elapsed()
    );
    assert!(metrics.dropped() > 0, "dropped metric points are counted");
    assert!(
        tracing.dropped() >= 12,
        "dropped spans are counted: {}",
        tracing.dropped()
    );
    held.abort();
}
