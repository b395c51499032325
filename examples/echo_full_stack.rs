//! The echo of `echo.rs` with the logging, metrics and tracing layers on, one
//! line each on the builder. `cargo build --release --example echo_full_stack
//! -p light-runtime-examples --features full-stack`.
//!
//! Each invocation logs one `info` line (JSON on AWS with
//! `AWS_LAMBDA_LOG_FORMAT=JSON`, carrying `requestId`), is counted and timed
//! in OpenTelemetry metrics, and gets a span with the FaaS attributes. Metrics
//! and spans are exported by OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` at
//! Freeze, after the response is posted (without an endpoint: metrics as
//! CloudWatch EMF lines on stdout, spans not exported). The benchmark
//! harness runs it as its "light full stack" column (`e2e --full-stack`).

use light_runtime::layers::{LoggingLayer, MetricsLayer, TracingLayer};
use light_runtime::{Context, Error, Runtime};
use serde_json::Value;

async fn echo(event: Value, ctx: Context) -> Result<Value, Error> {
    // The line carries requestId and functionName from the logging layer's
    // span; the payload itself is not logged.
    tracing::info!(cold_start = ctx.is_cold_start(), "echoing the event");
    Ok(event)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), light_runtime::RuntimeError> {
    Runtime::builder()
        .lifecycle_layer(LoggingLayer::from_env())
        .lifecycle_layer(TracingLayer::from_env())
        .lifecycle_layer(MetricsLayer::from_env())
        .run(echo)
        .await
}
