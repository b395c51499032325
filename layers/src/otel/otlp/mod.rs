//! OTLP export, written without the SDK's exporters: protobuf bodies from
//! our own encoder, posted over http/protobuf on the runtime's keep-alive
//! client (the fast path), or through hyper for https, gRPC, gzip and
//! http/json.
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
//! - `sender`: [`OtlpSender`], the fast path or hyper, as the settings say.
//! - `plain_http`: the fast path, http/protobuf on one kept-alive
//!   connection of the runtime's own HTTP/1.1 client.
//! - `hyper_http` (feature `otlp-formats`, as the next three): https
//!   (rustls), gRPC (HTTP/2), gzip and http/json on hyper's client
//!   connection.
//! - `tls`: the rustls client configuration (system roots or
//!   `OTEL_EXPORTER_OTLP_CERTIFICATE`, mutual TLS).
//! - `grpc_frame`: gRPC's message framing and `grpc-status`.
//! - `json_body`: OTLP/JSON from the protobuf body (opentelemetry-proto's
//!   serde) and its answer's `partialSuccess`.
//! - `response`: the `partial_success` of a collector's answer (prost).
//! - `export`: [`OtlpExport`], a signal's sender, encoded resource and
//!   reused body buffer.

mod common;
mod export;
#[cfg(feature = "otlp-formats")]
mod grpc_frame;
#[cfg(feature = "otlp-formats")]
mod hyper_http;
#[cfg(feature = "otlp-formats")]
mod json_body;
#[cfg(feature = "metrics")]
mod metrics;
// Each signal uses its own share of the field kinds.
mod plain_http;
#[cfg_attr(not(all(feature = "metrics", feature = "trace")), allow(dead_code))]
mod proto;
mod response;
mod sender;
#[cfg(feature = "trace")]
mod spans;
#[cfg(feature = "otlp-formats")]
mod tls;

pub(crate) use common::encode_resource;
pub(crate) use export::OtlpExport;
#[cfg(feature = "metrics")]
pub(crate) use metrics::encode_metrics;
pub(crate) use proto::Encoder;
pub(crate) use sender::OtlpSender;
#[cfg(feature = "trace")]
pub(crate) use spans::encode_spans;
