//! Tracing: one OpenTelemetry span per invocation with the FaaS semantic
//! conventions, parented on the platform's trace header, exported at
//! `Freeze` and `Close`.
//!
//! The span (kind `SERVER`, named after the function) carries
//! `faas.invocation_id`, `faas.coldstart`, `faas.trigger`, `faas.name`,
//! `faas.version`, `cloud.provider`, `cloud.region`, `cloud.account.id`,
//! in a binary of several functions `light_runtime.handler` (the one that
//! served), on a cold start `light_runtime.initialization` (`on-demand`,
//! `provisioned-concurrency`, `snap-start`, ...), for a tenant-isolated
//! function `tenant_id` (the name lambda_runtime's OpenTelemetry layer
//! uses), and, on failure, `error.type` with an error status. Its parent is the
//! caller's span from the context's W3C trace (on AWS converted from X-Ray's
//! `Root=...;Parent=...;Sampled=...`). Spans the user opens with `tracing`
//! while the handler runs nest under it, through `tracing-opentelemetry`.
//!
//! Ids come from a generator re-seeded after a SnapStart restore, so the
//! copies of one snapshot do not make the same trace ids.
//!
//! Ended spans wait in a bounded in-memory buffer (never exported on the
//! response path unless strict); the hook exports them at `Freeze` and
//! `Close` with OTLP/HTTP, and where no freeze is signalled the schedule
//! does once the instance is idle, on `OTEL_BSP_SCHEDULE_DELAY`, and when
//! the buffer is half full. A failed export puts them back for the next flush; what
//! overflows the buffer or fails at `Close` is counted and logged once.
//!
//! # Layout
//! - `layer`: [`TracingLayer`] and its hook.
//! - `state`: what the layer, its services and its hook share: the
//!   pipeline, built when the function is known, and its delivery.
//! - `service`: [`Tracing`] and its future.
//! - `pipeline`: tracer provider, buffering span processor, export.
//! - `ids`: trace and span ids re-seeded after a SnapStart restore.

mod ids;
mod layer;
mod pipeline;
mod service;
mod state;

pub use layer::TracingLayer;
pub use service::{Tracing, TracingFuture};
