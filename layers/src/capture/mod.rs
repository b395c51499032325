//! The capture layer: the scene of each failed invocation (and, if asked,
//! a sample of successes), redacted and written after the response, for
//! `light-runtime replay` to run again.
//!
//! Turned on with `LIGHT_RUNTIME_CAPTURE=failures` (or
//! `failures+sample:0.01`), with `capture` in `LIGHT_RUNTIME_LAYERS`, or in
//! code with [`CaptureLayer::new`]. `docs/capture.md` is the user's page;
//! `docs/capture-format.md` the file format.
//!
//! What it costs: on the way in, the service keeps the event and the
//! context as reference counts and opens an empty log buffer in a
//! task-local; a success that is not sampled drops them. A failure is
//! queued (bounded, rate limited); the hook redacts, serialises and writes
//! it at `AfterResponse` (and `Close`), never before the platform
//! has its answer.
//!
//! # Layout
//! - [`layer`](mod@layer): [`CaptureLayer`] and [`CaptureHook`].
//! - [`service`]: [`Capture`], the tower service watching each invocation.
//! - `state`: what the layer, its services and its hook share; the queue.
//! - `logs`: the per-invocation log buffer and the `tracing` layer filling it.
//! - `build`: a queued invocation to a capture file's bytes, redacted and bounded.
//! - [`redact`]: the redaction [`Policy`].
//! - `rate`: the token bucket.
//! - `sink`: folder, stdout and HTTP writers.
//! - [`config`]: [`CaptureConfig`], [`Sink`] and the variables.
//! - [`scene`]: [`Scene`], the capture file format `light-runtime-capture/1`.

mod build;
pub mod config;
pub mod layer;
mod logs;
mod rate;
pub mod redact;
pub mod scene;
pub mod service;
mod sink;
mod state;

pub use config::{CaptureConfig, Sink};
pub use layer::{CaptureHook, CaptureLayer};
pub use redact::Policy;
pub use scene::{Scene, FORMAT};
pub use service::Capture;
pub use sink::STDOUT_PREFIX;
