//! Test support for light-runtime: emulators of platform APIs over loopback
//! that record every call, and a hook that records every phase it sees.
//!
//! # Layout
//! - [`lambda`]: [`LambdaEmulator`], the AWS Lambda Runtime API (and the
//!   Extensions API's register / SHUTDOWN) on `127.0.0.1`, with fault
//!   injection; [`Event`]s in, [`InvocationResult`]s and [`RecordedCall`]s
//!   out, streamed responses recorded chunk by chunk with their trailers.
//! - [`hostile_api`]: a pull runtime API (Lambda, SCF) that misbehaves on script: stalls,
//!   closes mid-body or after reading a post, 5xx, oversized heads and
//!   bodies, too many headers, ids with path characters
//!   ([`HostileRuntimeApi`](hostile_api::HostileRuntimeApi)); records every
//!   request it read.
//! - [`aliyun_fc`]: [`FcEmulator`](aliyun_fc::FcEmulator), Alibaba FC calling
//!   a custom runtime (`/invoke`, `/http-invoke`, `/initialize`,
//!   `/pre-freeze`, `/pre-stop` with the `x-fc-*` headers).
//! - [`tencent_scf`]: [`ScfEmulator`](tencent_scf::ScfEmulator), the SCF
//!   runtime API (`init/ready`, `next`, `response`, `error`).
//! - [`http_platform`]: [`HttpPlatform`](http_platform::HttpPlatform), a
//!   Knative / Cloud Run / OpenFaaS front sending JSON events, CloudEvents
//!   and HTTP requests (also SCF web functions and the local server).
//! - [`caller`]: [`Caller`](caller::Caller), the HTTP client the push
//!   emulators share, recording every exchange.
//! - [`streamed_reply`]: a reply read chunk by chunk as it arrives,
//!   [`StreamedReply`](streamed_reply::StreamedReply), from `Caller::send_streamed`.
//! - [`hostile_client`]: a client that misbehaves on purpose,
//!   [`HostileClient`](hostile_client::HostileClient): slow bodies, bodies
//!   cut short, oversized heads and bodies, garbage request lines; every
//!   wait bounded.
//! - `otlp` (feature `otlp`): `OtlpReceiver`, an OTLP/HTTP collector that
//!   decodes protobuf metrics and spans for assertions.
//! - `recorded`: a header by name and the body as JSON, for every recorded
//!   message type above.
//! - [`recording`]: [`RecordingHook`] and its [`SharedLog`], to assert the
//!   order of lifecycle phases within and across hooks.
//! - [`stopping`]: [`stop_runtime`], shutting a runtime under test down.
//!
//! # Example
//! ```
//! use std::time::Duration;
//! use light_runtime_testkit::{Event, LambdaEmulator};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let emulator = LambdaEmulator::start().await.unwrap();
//! let request_id = emulator.push(Event::json(serde_json::json!({"name": "ada"})));
//! // Point a runtime at it: AWS_LAMBDA_RUNTIME_API = emulator.runtime_api().
//! // Then assert on what the platform received:
//! if let Some(result) = emulator.result(&request_id, Duration::from_millis(10)).await {
//!     assert!(!result.is_error());
//!     assert_eq!(emulator.answers_for(&request_id), 1);
//! }
//! # });
//! ```

pub mod aliyun_fc;
pub mod caller;
pub mod hostile_api;
pub mod hostile_client;
pub mod http_platform;
pub mod lambda;
#[cfg(feature = "otlp")]
pub mod otlp;
mod recorded;
pub mod recording;
pub mod stopping;
pub mod streamed_reply;
pub mod tencent_scf;

pub use lambda::{EmulatorBuilder, Event, InvocationResult, LambdaEmulator, RecordedCall};
pub use recording::{Record, RecordingHook, SharedLog};
pub use stopping::stop_runtime;
