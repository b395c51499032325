//! The echo of `echo.rs` with the tracing layer alone: a span per
//! invocation with the FaaS attributes, exported by OTLP to
//! `OTEL_EXPORTER_OTLP_ENDPOINT` at Freeze, after the response is posted.
//! The benchmark harness compares it with `lambda_runtime`'s
//! `OpenTelemetryLayer` and the SDK's OTLP/HTTP exporter
//! (`otel-callgrind`). `cargo build --release --example echo_traced -p
//! light-runtime-examples --features traced`.

use light_runtime::layers::TracingLayer;
use light_runtime::{Context, Error, Runtime};
use serde_json::Value;

async fn echo(event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(event)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), light_runtime::RuntimeError> {
    Runtime::builder()
        .lifecycle_layer(TracingLayer::from_env())
        .run(echo)
        .await
}
