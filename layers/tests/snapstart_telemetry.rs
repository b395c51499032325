//! Telemetry of a SnapStart instance as an OTLP collector receives it: the
//! cold start counted as `snap-start`, the span naming the tenant and the
//! initialisation, with the runtime restored by the Lambda emulator.

use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::otlp::OtlpReceiver;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

async fn echo(event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(event)
}

#[tokio::test]
async fn a_restored_instance_reports_a_snap_start_cold_start_and_its_tenant() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let emulator = LambdaEmulator::builder()
        .snap_start()
        .start()
        .await
        .unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start".into()),
        ("LIGHT_RUNTIME_LAYERS", "metrics,tracing".into()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
    ]);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .run_until(echo, shutdown.clone()),
    );
    let cold = emulator.push(Event::json(json!(1)).tenant_id("tenant-a"));
    emulator.result(&cold, WAIT).await.expect("an answer");
    let warm = emulator.push(Event::json(json!(2)).tenant_id("tenant-b"));
    emulator.result(&warm, WAIT).await.expect("an answer");
    let flushed = receiver
        .wait_until(WAIT, |r| {
            r.metric_sum("faas.invocations", None) == 2.0 && r.spans().len() >= 2
        })
        .await;
    assert!(flushed, "exported at freeze");
    light_runtime_testkit::stop_runtime(&shutdown, task).await;

    assert_eq!(emulator.restores(), 1);
    assert_eq!(emulator.stale_connection_calls(), vec![]);
    assert_eq!(
        receiver.metric_sum("faas.coldstarts", Some(("initialization", "snap-start"))),
        1.0
    );
    assert_eq!(
        receiver.metric_sum("faas.coldstarts", Some(("initialization", "on-demand"))),
        0.0
    );
    let spans = receiver.spans();
    let span_of = |id: &str| {
        spans
            .iter()
            .find(|s| s.attributes.get("faas.invocation_id").map(String::as_str) == Some(id))
            .unwrap_or_else(|| panic!("a span for {id}"))
    };
    let cold_span = span_of(&cold);
    assert_eq!(cold_span.attributes["tenant_id"], "tenant-a");
    assert_eq!(cold_span.attributes["faas.coldstart"], "true");
    assert_eq!(
        cold_span.attributes["light_runtime.initialization"],
        "snap-start"
    );
    let warm_span = span_of(&warm);
    assert_eq!(warm_span.attributes["tenant_id"], "tenant-b");
    assert!(!warm_span
        .attributes
        .contains_key("light_runtime.initialization"));
    assert_ne!(cold_span.trace_id, warm_span.trace_id);
}
