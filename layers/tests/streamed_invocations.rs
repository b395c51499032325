//! A streamed invocation as the metrics and tracing layers record it: when
//! its stream ends, with the error it failed with midway, as an OTLP
//! collector receives it.

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use light_runtime::engine::CancellationToken;
use light_runtime::{BoxError, Context, Environment, Error, Response, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::otlp::OtlpReceiver;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

/// A body whose chunks are all ready.
struct Chunks(VecDeque<Result<Bytes, BoxError>>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.pop_front())
    }
}

/// Streams "partial", then fails if the event says so.
async fn stream(event: Value, _ctx: Context) -> Result<Response, Error> {
    let mut chunks = VecDeque::from([Ok(Bytes::from_static(b"partial"))]);
    if event["do"] == "fail" {
        chunks.push_back(Err("the source went away".into()));
    }
    Ok(Response::stream("text/plain", Chunks(chunks)))
}

#[tokio::test]
async fn a_stream_failing_midway_is_an_error_of_its_type_in_metrics_and_spans() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
        ("LIGHT_RUNTIME_LAYERS", "metrics,tracing".into()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
    ]);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .run_until(stream, shutdown.clone()),
    );
    let mut failed = String::new();
    for what in ["ok", "fail", "ok"] {
        let id = emulator.push(Event::json(json!({ "do": what })));
        if what == "fail" {
            failed = id.clone();
        }
        emulator.result(&id, WAIT).await.expect("an answer");
        let streamed = emulator.streamed(&id).expect("a streamed answer");
        assert_eq!(streamed.error_type().is_some(), what == "fail");
    }
    let flushed = receiver
        .wait_until(WAIT, |r| {
            r.metric_sum("faas.invocations", None) == 3.0 && r.spans().len() >= 3
        })
        .await;
    assert!(flushed, "flushed at freeze");
    light_runtime_testkit::stop_runtime(&shutdown, task).await;

    assert_eq!(receiver.metric_sum("faas.invoke_duration", None), 3.0);
    assert_eq!(
        receiver.error_counts(),
        BTreeMap::from([("Runtime.StreamError".to_owned(), 1.0)])
    );
    let spans = receiver.spans();
    let errors: Vec<_> = spans
        .iter()
        .filter_map(|span| {
            let error = span.attributes.get("error.type")?;
            Some((span.attributes["faas.invocation_id"].clone(), error.clone()))
        })
        .collect();
    assert_eq!(errors, [(failed, "Runtime.StreamError".to_owned())]);
}
