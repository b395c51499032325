//! The reference for the OTLP figures (`otel-callgrind`): the echo of
//! `echo-lambda-runtime` with `lambda_runtime`'s `opentelemetry` feature as
//! its documentation sets it up: `OpenTelemetryLayer` makes a span per
//! invocation through `tracing-opentelemetry`, and its flush function
//! force-flushes the OpenTelemetry SDK's tracer provider, whose batch
//! processor exports with `opentelemetry-otlp`'s OTLP/HTTP protobuf
//! exporter (its default blocking reqwest client) to
//! `OTEL_EXPORTER_OTLP_ENDPOINT`, after each invocation.

use lambda_runtime::layers::{OpenTelemetryFaasTrigger, OpenTelemetryLayer};
use lambda_runtime::{service_fn, Error, LambdaEvent, Runtime};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

async fn echo(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(event.payload)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .build();
    tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("echo")))
        .init();
    let flushing = provider.clone();
    let runtime = Runtime::new(service_fn(echo)).layer(
        OpenTelemetryLayer::new(move || {
            let _ = flushing.force_flush();
        })
        .with_trigger(OpenTelemetryFaasTrigger::Other),
    );
    runtime.run().await
}
