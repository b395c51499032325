//! The end-to-end benchmark harness: real bootstrap binaries against one AWS
//! Lambda Runtime API emulator, measured side by side and reported as ratios.
//!
//! The `e2e` binary drives it, and `perf-guard` (the CI check on the echo's
//! instructions per invocation) reuses its measurements; the two peer bootstraps it compares
//! light-runtime with are binaries of this crate too (`echo-lambda-runtime`
//! on AWS's `lambda_runtime`, `echo-floor` doing the least work the protocol
//! allows). The criterion benches of the in-process pipeline live in
//! `benches/pipeline.rs`. See `benches/README.md` for the commands.
//!
//! # Layout
//! - [`axum_hello`]: the axum app and the API Gateway v2 event of the HTTP
//!   comparison (`http-callgrind`, light-runtime against `lambda_http`).
//! - [`bench_args`]: the command line and folders of the issue-13
//!   comparisons (`proxy-overhead`, `proxy-cold-start`, `web-vs-adapter`).
//! - [`bootstrap`]: the three [`Bootstrap`]s, where their binaries are, and
//!   [`Running`], a spawned bootstrap that is killed if dropped.
//! - [`measure`]: one measured run: wall clock ([`measure::wall_clock`]) or
//!   under callgrind ([`measure::instructions`]), each on a fresh emulator.
//! - [`callgrind`]: reading the instruction total of a callgrind out file,
//!   or of one per process of a traced tree (proxy mode and its child).
//! - [`cpu_time`]: the CPU time of a process and its descendants, from
//!   `/proc` (`proxy-overhead`).
//! - [`sidecar`]: a process started beside the bootstrap for a run (the
//!   web app in front of which the Web Adapter sits, `web-vs-adapter`).
//! - [`stats`]: percentiles of latency samples, medians of repeated runs.
//! - [`report`]: the [`Report`], printed as a table and written as JSON.
//! - [`full_stack`]: the OTLP endpoint comparison and the layer bars of
//!   `e2e --full-stack`.
//! - [`telemetry`]: the live or dead OTLP endpoint of a full-stack run
//!   (`e2e --full-stack`).

pub mod axum_hello;
pub mod bench_args;
pub mod bootstrap;
pub mod callgrind;
pub mod cpu_time;
pub mod full_stack;
pub mod measure;
pub mod report;
pub mod sidecar;
pub mod stats;
pub mod telemetry;

pub use bootstrap::{Bootstrap, Running};
pub use report::Report;
