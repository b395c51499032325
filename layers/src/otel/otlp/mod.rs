//! OTLP/HTTP with protobuf bodies, written without the SDK's exporters.
//!
//! The OpenTelemetry SDK still records and aggregates; this module only
//! turns what it collected into OTLP bytes and posts them. It exists
//! because an export happens at every `Freeze`, i.e. once per invocation
//! when invocations come one at a time, and the stock exporter path
//! (convert to `opentelemetry-proto` structs, encode them, send with a
//! pooled hyper client) cost more than a whole bare invocation; see
//! `docs/design/otlp-export.md` for the measurement.
//!
//! # Layout
//! - `proto`: [`Encoder`], protobuf's wire format (prost's encoding
//!   helpers) into one reused buffer. Each message module names its field
//!   numbers after the `.proto` files (`field::span::TRACE_ID`).
//! - `common`: attributes, values, resource and scope.
//! - `metrics` (feature `metrics`): `ExportMetricsServiceRequest`.
//! - `spans` (feature `trace`): `ExportTraceServiceRequest`.
//! - `sender`: [`OtlpSender`], one kept-alive connection per signal.
//! - `response`: the `partial_success` of a collector's answer (prost).
//! - `export`: [`OtlpExport`], a signal's sender, encoded resource and
//!   reused body buffer.

mod common;
mod export;
#[cfg(feature = "metrics")]
mod metrics;
// Each signal uses its own share of the field kinds.
#[cfg_attr(not(all(feature = "metrics", feature = "trace")), allow(dead_code))]
mod proto;
mod response;
mod sender;
#[cfg(feature = "trace")]
mod spans;

pub(crate) use common::encode_resource;
pub(crate) use export::OtlpExport;
#[cfg(feature = "metrics")]
pub(crate) use metrics::encode_metrics;
pub(crate) use proto::Encoder;
pub(crate) use sender::OtlpSender;
#[cfg(feature = "trace")]
pub(crate) use spans::encode_spans;
