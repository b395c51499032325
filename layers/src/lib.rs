//! Reusable layers for light-runtime: each is a tower layer around the
//! invocation pipeline plus, where it needs one, a lifecycle hook, so that
//! logging, metrics, tracing, preload, timeouts and capture are one line on the
//! builder, or one environment variable (`LIGHT_RUNTIME_LAYERS`).
//!
//! Every layer implements [`LifecycleLayer`]: a `tower::Layer` that may also
//! bring a [`Hook`](runtime_engine::Hook) (flush telemetry at `Freeze` and
//! `Close`, run initialisers at `FunctionStart`), adjust the phase budgets,
//! and add to the process's `tracing` subscriber. Telemetry is never
//! exported on the response path: the layers record in memory and their
//! hooks export at `Freeze` and `Close`, within those phases' budgets; where
//! the platform freezes without notice, also in the background once the
//! instance is idle (unless `LIGHT_RUNTIME_TELEMETRY_FLUSH=strict` asks for
//! an export before the last response in flight).
//!
//! # Layout
//! - [`logging`] (feature `logging`): [`LoggingLayer`], JSON or text lines
//!   with the request id; Lambda's JSON field names on AWS.
//! - [`metrics`] (feature `metrics`): [`MetricsLayer`], OpenTelemetry
//!   metrics exported by OTLP/HTTP or to stdout (CloudWatch EMF on AWS).
//! - [`trace`] (feature `trace`): [`TracingLayer`], one OpenTelemetry span
//!   per invocation, parented on the platform's trace header.
//! - [`preload`] (feature `preload`): [`Preload`], initialisers run
//!   concurrently at `FunctionStart`, their values in the context.
//! - [`timeout`] (feature `timeout`): [`TimeoutLayer`], the margin before
//!   the deadline at which the invocation is cancelled.
//! - [`relay`] (feature `relay`): [`RelayLayer`], every invocation
//!   handled by `light-runtime relay` on a developer's machine, turned on
//!   by `LIGHT_RUNTIME_RELAY`.
//! - [`capture`] (feature `capture`): [`CaptureLayer`], the redacted
//!   scene of each failed invocation, written after the response, for
//!   `light-runtime replay`.
//! - [`env_layers`]: [`EnvLayers`], the layers a platform team turns on
//!   with `LIGHT_RUNTIME_LAYERS`.
//! - [`lifecycle_layer`]: the [`LifecycleLayer`] trait.
//! - [`subscriber`]: assembling and installing the `tracing` subscriber.
//! - `otel` (features `metrics`, `trace`): the OpenTelemetry resource, the
//!   OTLP/HTTP exporters, the `OTEL_*` variables and the export schedule.
//! - `variables`: reading a variable's value; an invalid one warns and
//!   falls back to the default.
//!
//! # Example
//! ```
//! use light_runtime_layers::{LifecycleLayer, logging::LoggingLayer, timeout::TimeoutLayer};
//! use std::time::Duration;
//!
//! // With light-runtime: Runtime::builder().lifecycle_layer(LoggingLayer::from_env())...
//! let logging = LoggingLayer::from_env();
//! let timeout = TimeoutLayer::new(Duration::from_millis(250));
//! assert_eq!((logging.name(), timeout.name()), ("logging", "timeout"));
//! ```

#[cfg(feature = "capture")]
pub mod capture;
pub mod env_layers;
pub mod lifecycle_layer;
#[cfg(feature = "logging")]
pub mod logging;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(any(feature = "metrics", feature = "trace"))]
mod otel;
#[cfg(feature = "preload")]
pub mod preload;
#[cfg(feature = "relay")]
pub mod relay;
// Which helpers are used depends on the layers compiled in.
pub mod subscriber;
#[cfg(feature = "timeout")]
pub mod timeout;
#[cfg(feature = "trace")]
pub mod trace;
#[cfg_attr(
    not(all(feature = "logging", feature = "metrics", feature = "timeout")),
    allow(dead_code)
)]
mod variables;

/// The `tracing` target of the per-invocation span that the logging layer
/// opens; the tracing layer leaves it out of OpenTelemetry (it makes its own
/// span per invocation).
pub const INVOCATION_SPAN_TARGET: &str = "light_runtime::invocation";

#[cfg(feature = "capture")]
pub use capture::CaptureLayer;
pub use env_layers::{EnvLayers, EnvStack};
pub use lifecycle_layer::LifecycleLayer;
#[cfg(feature = "logging")]
pub use logging::LoggingLayer;
#[cfg(feature = "metrics")]
pub use metrics::MetricsLayer;
#[cfg(feature = "preload")]
pub use preload::Preload;
#[cfg(feature = "relay")]
pub use relay::RelayLayer;
pub use subscriber::SubscriberLayer;
#[cfg(feature = "timeout")]
pub use timeout::TimeoutLayer;
#[cfg(feature = "trace")]
pub use trace::TracingLayer;
