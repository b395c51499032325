//! Metrics and spans as an OTLP collector receives them, with the layers
//! turned on by `LIGHT_RUNTIME_LAYERS` and the runtime driven by the Lambda
//! emulator: N invocations, a freeze after each, then a SIGTERM-style stop.

use std::collections::BTreeMap;
use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::otlp::OtlpReceiver;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);
const TRACE_ID: &str = "5759e988bd862e3fe1be46a994272793";

/// Answers, fails, panics or overruns its deadline, as the event says; the
/// answering path opens a user `tracing` span, which must nest.
async fn moody(event: Value, _ctx: Context) -> Result<Value, Error> {
    match event["do"].as_str() {
        Some("fail") => Ok(Value::from("x".parse::<u32>()?)),
        Some("panic") => panic!("told to panic"),
        Some("hang") => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(event)
        }
        _ => {
            tracing::info_span!("user_work").in_scope(|| tracing::info!("working"));
            Ok(event)
        }
    }
}

#[tokio::test]
async fn layers_from_the_environment_export_every_invocation_and_span() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let emulator = LambdaEmulator::builder()
        .function_arn("arn:aws:lambda:eu-west-1:210987654321:function:orders:live")
        .start()
        .await
        .unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "7".into()),
        ("AWS_REGION", "eu-west-1".into()),
        ("LIGHT_RUNTIME_LAYERS", "metrics,tracing".into()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
    ]);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .run_until(moody, shutdown.clone()),
    );

    let plan = ["ok", "ok", "fail", "panic", "ok", "hang"];
    let mut parents = BTreeMap::new();
    let mut error_types: BTreeMap<String, f64> = BTreeMap::new();
    for (index, what) in plan.iter().enumerate() {
        let parent = format!("{:016x}", 0x53995c3f42cd8a00_u64 + index as u64);
        let xray = format!("Root=1-5759e988-bd862e3fe1be46a994272793;Parent={parent};Sampled=1");
        let mut event = Event::json(json!({ "do": what })).trace_id(xray);
        if *what == "hang" {
            event = event.deadline_in(Duration::from_millis(400));
        }
        let id = emulator.push(event);
        let result = emulator.result(&id, WAIT).await.expect("an answer");
        if let Some(error_type) = result.error_type() {
            *error_types.entry(error_type.to_owned()).or_default() += 1.0;
        }
        parents.insert(id, parent);
    }
    let n = plan.len() as f64;
    assert_eq!(
        error_types.len(),
        3,
        "a handler error, a panic and a timeout: {error_types:?}"
    );

    // The freeze before the next `next` flushes: everything arrives before shutdown.
    let flushed = receiver
        .wait_until(WAIT, |r| {
            r.metric_sum("faas.invocations", None) == n && r.spans().len() >= plan.len()
        })
        .await;
    assert!(
        flushed,
        "flushed at freeze: {} invocations",
        receiver.metric_sum("faas.invocations", None)
    );

    light_runtime_testkit::stop_runtime(&shutdown, task).await;

    assert!(receiver.rejected().is_empty(), "{:?}", receiver.rejected());
    assert_eq!(receiver.metric_sum("faas.invocations", None), n);
    assert_eq!(
        receiver.metric_sum("faas.invocations", Some(("faas.trigger", "other"))),
        n
    );
    assert_eq!(receiver.metric_sum("faas.coldstarts", None), 1.0);
    assert_eq!(receiver.metric_sum("faas.invoke_duration", None), n);
    assert_eq!(receiver.metric_sum("faas.init_duration", None), 1.0);
    assert_eq!(receiver.error_counts(), error_types);
    assert!(receiver.metric_sum("light_runtime.phase.duration", Some(("phase", "Invoke"))) > 0.0);

    let spans = receiver.spans();
    let invocations: Vec<_> = spans
        .iter()
        .filter(|s| s.attributes.contains_key("faas.invocation_id"))
        .collect();
    assert_eq!(invocations.len(), plan.len());
    for span in &invocations {
        let id = &span.attributes["faas.invocation_id"];
        assert_eq!(span.name, "orders");
        assert_eq!(span.trace_id, TRACE_ID);
        assert_eq!(&span.parent_span_id, &parents[id], "parent of {id}");
        let expected = [
            ("faas.trigger", "other"),
            ("faas.name", "orders"),
            ("faas.version", "7"),
            ("cloud.provider", "aws"),
            ("cloud.region", "eu-west-1"),
            ("cloud.account.id", "210987654321"),
        ];
        for (key, value) in expected {
            assert_eq!(
                span.attributes.get(key).map(String::as_str),
                Some(value),
                "{key} of {id}"
            );
        }
        assert_eq!(
            span.resource.get("service.name").map(String::as_str),
            Some("orders")
        );
    }
    let cold: Vec<_> = invocations
        .iter()
        .filter(|s| s.attributes["faas.coldstart"] == "true")
        .collect();
    assert_eq!(cold.len(), 1);
    let failed = invocations.iter().filter(|s| s.status_code == 2).count();
    assert_eq!(failed, 3);

    // The user's spans nest under their invocation's span.
    let user: Vec<_> = spans.iter().filter(|s| s.name == "user_work").collect();
    assert_eq!(user.len(), 3);
    for span in user {
        let parent = invocations
            .iter()
            .find(|s| s.span_id == span.parent_span_id);
        assert!(
            parent.is_some(),
            "user_work's parent {} is an invocation span",
            span.parent_span_id
        );
        assert_eq!(span.trace_id, TRACE_ID);
    }
}
