//! A collector that accepts exports but refuses some of their items (OTLP's
//! `partial_success`): the refused items are counted as dropped, the
//! invocations are unaffected, and exporting goes on without backing off.

use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::layers::{MetricsLayer, TracingLayer};
use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::otlp::OtlpReceiver;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

async fn echo(event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(event)
}

#[tokio::test]
async fn items_a_collector_refuses_are_counted_as_dropped() {
    let collector = OtlpReceiver::start_refusing(2).await.unwrap();
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint()),
        ("OTEL_TRACES_SAMPLER", "always_on".into()),
    ]);
    let metrics = MetricsLayer::from_environment(&env);
    let tracing = TracingLayer::from_environment(&env);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .lifecycle_layer(metrics.clone())
            .lifecycle_layer(tracing.clone())
            .run_until(echo, shutdown.clone()),
    );
    for n in 0..3 {
        let id = emulator.push(Event::json(json!({ "n": n })));
        let result = emulator.result(&id, WAIT).await.expect("an answer");
        assert_eq!(result.body_json().unwrap(), json!({ "n": n }));
    }
    light_runtime_testkit::stop_runtime(&shutdown, task).await;

    let (metric_requests, trace_requests) = collector.requests();
    assert!(
        metric_requests >= 3 && trace_requests >= 3,
        "every Freeze and Close exported: {metric_requests} / {trace_requests}"
    );
    // Each answer refused 2 items; a refusal is not a failure, so no
    // Freeze backed off and every export was made and counted.
    assert_eq!(metrics.dropped(), 2 * metric_requests as u64);
    assert_eq!(tracing.dropped(), 2 * trace_requests as u64);
    assert_eq!(collector.spans().len(), 3, "the spans themselves arrived");
}
