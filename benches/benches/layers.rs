//! Criterion benches of each layer's per-invocation cost, in process, with
//! no I/O: the engine pipeline (a `service_fn` echo inside the hook service,
//! with a deadline) alone, then inside each layer of `light-runtime-layers`,
//! then inside all of them.
//!
//! - `logging`: the invocation span, with the JSON subscriber installed
//!   (writing to a sink); `logging_line` also writes one `info!` line.
//! - `metrics`: counters and the duration histogram (exporter `none`: the
//!   export happens at Freeze, not per invocation).
//! - `tracing`: one OpenTelemetry span with the FaaS attributes, buffered
//!   (flushed between timed chunks, exporter `none`).
//! - `preload`: the resources handed to the context.
//! - `timeout`: a pass-through (the engine enforces the margin).
//! - `full`: all of the above, the handler writing one line.
//!
//! `cargo bench -p light-runtime-benches --bench layers`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use light_runtime_layers::logging::{LogFormat, LoggingLayer};
use light_runtime_layers::preload::Preload;
use light_runtime_layers::{LifecycleLayer, MetricsLayer, TimeoutLayer, TracingLayer};
use runtime_engine::Environment;
use runtime_engine::{
    BoxError, Budgets, Deadline, FunctionInfo, Invocation, Lifecycle, Outcome, Platform, Response,
};
use tokio::runtime::Runtime;
use tower::{service_fn, Layer, Service, ServiceExt};

/// The event of the end-to-end harness.
const PAYLOAD: &str = r#"{"hello":"world","n":1}"#;
/// Invocations timed between two (untimed) flushes.
const CHUNK: u64 = 1000;

fn function() -> FunctionInfo {
    FunctionInfo::new(Platform::AwsLambda, "echo").with_region(Some("eu-west-1"))
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread tokio runtime")
}

/// Times `iters` invocations through `service`, flushing `flush` between chunks.
fn run<S>(
    runtime: &Runtime,
    lifecycle: &Lifecycle,
    service: &S,
    flush: &(dyn Fn() + Sync),
    iters: u64,
) -> Duration
where
    S: Service<Invocation, Response = Outcome> + Clone,
    S::Error: std::fmt::Debug,
{
    let mut service = service.clone();
    let mut elapsed = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let chunk = left.min(CHUNK);
        left -= chunk;
        elapsed += runtime.block_on(async {
            let started = Instant::now();
            for _ in 0..chunk {
                let context = lifecycle
                    .context("bench-request")
                    .deadline(Deadline::after(Duration::from_secs(3)))
                    .build();
                let outcome = service
                    .ready()
                    .await
                    .unwrap()
                    .call(Invocation::new(context, PAYLOAD))
                    .await
                    .unwrap();
                black_box(outcome);
            }
            started.elapsed()
        });
        flush();
    }
    elapsed
}

fn layers(c: &mut Criterion) {
    let runtime = runtime();
    let env = Environment::from_vars([
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_TRACES_EXPORTER", "none"),
    ]);
    let lifecycle = Arc::new(Lifecycle::new(function(), Vec::new(), Budgets::default()));
    let echo = |log: bool| {
        service_fn(move |inv: Invocation| async move {
            if log {
                tracing::info!(bytes = inv.payload.len(), "echo");
            }
            Ok::<_, BoxError>(Response::json(inv.payload))
        })
    };
    let pipeline = |log: bool| lifecycle.layer().layer(echo(log));

    let logging = LoggingLayer::new()
        .with_format(LogFormat::Json)
        .with_writer(std::io::sink);
    let metrics = MetricsLayer::from_environment(&env);
    metrics
        .init(lifecycle.function())
        .expect("the metrics export is configured");
    let tracing_layer = TracingLayer::from_environment(&env);
    let mut subscriber = vec![logging.subscriber_layer(lifecycle.function()).unwrap()];
    subscriber.extend(tracing_layer.subscriber_layer(lifecycle.function()));
    light_runtime_layers::subscriber::install(subscriber);
    let preload = Preload::new().resource("config", Duration::from_secs(1), || async {
        Ok::<_, BoxError>(String::from("loaded"))
    });
    let timeout = TimeoutLayer::new(Duration::from_millis(100));
    let no_flush = || {};
    let flush_spans = || runtime.block_on(tracing_layer.flush(false));
    let flush_spans = &flush_spans;

    let mut group = c.benchmark_group("layers");
    let base = pipeline(false);
    group.bench_function("none", |b| {
        b.iter_custom(|n| run(&runtime, &lifecycle, &base, &no_flush, n))
    });
    let svc = logging.layer(pipeline(false));
    group.bench_function("logging", |b| {
        b.iter_custom(|n| run(&runtime, &lifecycle, &svc, &no_flush, n))
    });
    let svc = logging.layer(pipeline(true));
    group.bench_function("logging_line", |b| {
        b.iter_custom(|n| run(&runtime, &lifecycle, &svc, &no_flush, n))
    });
    let svc = metrics.layer(pipeline(false));
    group.bench_function("metrics", |b| {
        b.iter_custom(|n| run(&runtime, &lifecycle, &svc, &no_flush, n))
    });
    let svc = tracing_layer.layer(pipeline(false));
    group.bench_function("tracing", |b| {
        b.iter_custom(|n| run(&runtime, &lifecycle, &svc, flush_spans, n))
    });
    let svc = preload.layer(pipeline(false));
    group.bench_function("preload", |b| {
        b.iter_custom(|n| run(&runtime, &lifecycle, &svc, &no_flush, n))
    });
    let svc = timeout.layer(pipeline(false));
    group.bench_function("timeout", |b| {
        b.iter_custom(|n| run(&runtime, &lifecycle, &svc, &no_flush, n))
    });
    let full = logging
        .layer(tracing_layer.layer(metrics.layer(preload.layer(timeout.layer(pipeline(true))))));
    group.bench_function("full", |b| {
        b.iter_custom(|n| run(&runtime, &lifecycle, &full, flush_spans, n))
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    layers(&mut criterion);
    criterion.final_summary();
}
