//! Logging: `tracing` lines in JSON or text, each line inside an invocation
//! carrying its request id and function name.
//!
//! [`LoggingLayer`] does two things: its [`Logging`] service runs every
//! invocation inside an `invocation` span holding the request id and the
//! function name, and its [subscriber layer](crate::LifecycleLayer::subscriber_layer)
//! writes each event as one line, finding those ids in the event's span
//! scope. On AWS with `AWS_LAMBDA_LOG_FORMAT=JSON` the field names are those
//! of Lambda's JSON log format (`timestamp`, `level`, `message`,
//! `requestId`, ...), so CloudWatch Logs Insights reads them as its own.
//! In a binary of several functions, lines also name the one serving
//! (`handler` in JSON, `name/handler` in text). JSON lines of a
//! tenant-isolated function's invocations carry `tenantId` (Lambda's name,
//! as awslambdaric writes it), and those of the cold start
//! `initializationType` (`on-demand`, `provisioned-concurrency`,
//! `snap-start`, ...). Outside AWS the same fields are snake case.
//!
//! Level and format, first match wins: the level from
//! `AWS_LAMBDA_LOG_LEVEL` (`TRACE`..`FATAL`; `FATAL` logs errors only),
//! else `RUST_LOG`, else `info` (lambda_runtime's order); the format from
//! `LIGHT_RUNTIME_LOG_FORMAT`, else `AWS_LAMBDA_LOG_FORMAT` (`JSON`/`Text`),
//! else text. [`LoggingLayer::from_env`] reads them; a setter called after
//! it ([`LoggingLayer::with_level`], [`LoggingLayer::with_format`]) wins
//! over them, and [`LoggingLayer::new`] reads none.
//!
//! Payloads are never logged unless [`LoggingLayer::log_payloads`] (or
//! `LIGHT_RUNTIME_LOG_PAYLOADS=true`) says so; fields whose names look like
//! credentials (`password`, `secret`, `token`, `authorization`, ...) are
//! always written as `[redacted]`.
//!
//! # Layout
//! - [`layer`]: [`LoggingLayer`], its settings and the variables it reads.
//! - [`service`]: [`Logging`], the per-invocation span.
//! - `line`: [`LogFormat`] and the subscriber layer that writes lines
//!   (JSON through serde_json, timestamps through humantime).

pub mod layer;
mod line;
pub mod service;

pub use layer::LoggingLayer;
pub use line::LogFormat;
pub use service::Logging;

/// The `tracing` target of the per-invocation span.
pub use crate::INVOCATION_SPAN_TARGET as INVOCATION_TARGET;
