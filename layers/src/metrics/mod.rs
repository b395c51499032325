//! Metrics: OpenTelemetry metrics of every invocation, exported at `Freeze`
//! and `Close` (and once idle where the platform freezes without notice),
//! never on the response path unless strict.
//!
//! | metric | kind | attributes |
//! |---|---|---|
//! | `faas.invocations` | counter | `faas.trigger` |
//! | `faas.errors` | counter | `error.type` (`Function.Panic`, `Function.Timeout`, the handler's error type) |
//! | `faas.invoke_duration` | histogram, s | |
//! | `faas.coldstarts` | counter | `initialization` (`on-demand`, `provisioned-concurrency`, `snap-start`, `lambda-managed-instances`) |
//! | `faas.init_duration` | histogram, s | (`RuntimeStart` + `FunctionStart`, once) |
//! | `light_runtime.phase.duration` | counter, s | `phase` (time spent in each lifecycle phase) |
//!
//! The [`Metrics`] service only adds to in-memory instruments. The hook
//! collects them at `Freeze` (the instance may be frozen next) and at
//! `Close` (SIGTERM), or where no freeze is signalled once the instance is
//! idle and on `OTEL_METRIC_EXPORT_INTERVAL` (`crate::otel` schedule), and exports them with OTLP/HTTP (protobuf) or writes
//! them to stdout: JSON lines, in CloudWatch Embedded Metric Format on AWS.
//! Temporality is delta by default, so each export holds what happened
//! since the previous one and nothing is counted twice across instances.
//!
//! # Layout
//! - `layer`: [`MetricsLayer`] and its hook.
//! - `state`: what the layer, its services and its hook share: the
//!   pipeline, built at `RuntimeStart`, and its delivery.
//! - `service`: [`Metrics`] and its future.
//! - `pipeline`: the meter provider, its manual reader and the export.
//! - `console`: stdout lines (EMF on AWS).

mod console;
mod layer;
pub(crate) mod pipeline;
mod service;
mod state;

pub use layer::MetricsLayer;
pub use service::{Metrics, MetricsFuture};
