//! OpenTelemetry plumbing shared by the metrics and tracing layers.
//!
//! # Layout
//! - `otel_variables`: [`OtelVariables`], the standard `OTEL_*` variables
//!   read through the [`Environment`](runtime_engine::Environment),
//!   with a warning and a default for every invalid value.
//! - `otlp_settings`: [`OtlpSettings`](otlp_settings::OtlpSettings), one
//!   signal's `OTEL_EXPORTER_OTLP_*` variables (endpoint, protocol,
//!   compression, headers, timeout, certificates); a value that cannot be
//!   served is an error naming its variable.
//! - `resource`: the OpenTelemetry resource of a function.
//! - `delivery`: [`Delivery`], when to export and what was dropped: export
//!   time bounded by the phase budget, back-off after a failure, drops
//!   counted and logged once.
//! - `export_hook`: [`ExportHook`], building at `RuntimeStart` and
//!   exporting at `Freeze` and `Close` for either signal.
//! - `schedule`: [`Schedule`], exporting when the instance goes idle, on
//!   an interval, or (strict) before the last response, where the platform
//!   freezes without notice (its tests in `schedule_tests.rs`).
//! - `otlp`: OTLP protobuf encoding and the senders (plain http/protobuf on
//!   the kept-alive client; https, gRPC, gzip, http/json through hyper).

// Read for both signals; a build with one of them leaves the other's unused.
mod delivery;
mod export_hook;
#[cfg_attr(not(all(feature = "metrics", feature = "trace")), allow(dead_code))]
mod otel_variables;
pub(crate) mod otlp;
pub(crate) mod otlp_settings;
mod resource;
pub(crate) mod schedule;

pub(crate) use delivery::Delivery;
pub(crate) use export_hook::{ExportHook, Exporting};
pub(crate) use otel_variables::{ExporterKind, OtelVariables};
pub(crate) use resource::resource;
pub(crate) use schedule::{Busy, Schedule};
