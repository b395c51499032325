//! Test support for light-runtime: emulators of platform APIs over loopback
//! that record every call, and a hook that records every phase it sees.
//!
//! # Layout
//! - The platform emulators live in the shipped `light-runtime-emulators`
//!   crate (the `light-runtime emulate` command runs them too) and are
//!   re-exported here under their old paths: [`lambda`], [`aliyun_fc`],
//!   [`tencent_scf`], [`http_platform`], [`caller`], [`streamed_reply`],
//!   and (unix) [`freezer`].
//! - [`hostile_api`]: a pull runtime API (Lambda, SCF) that misbehaves on script: stalls,
//!   closes mid-body or after reading a post, 5xx, oversized heads and
//!   bodies, too many headers, ids with path characters
//!   ([`HostileRuntimeApi`](hostile_api::HostileRuntimeApi)); records every
//!   request it read.
//! - [`hostile_client`]: a client that misbehaves on purpose,
//!   [`HostileClient`](hostile_client::HostileClient): slow bodies, bodies
//!   cut short, oversized heads and bodies, garbage request lines; every
//!   wait bounded.
//! - `otlp` (feature `otlp`): `OtlpReceiver`, an OTLP collector that
//!   decodes metrics and spans for assertions, from http/protobuf,
//!   http/json or gRPC, gzip or not, in clear or over TLS
//!   (`TestCertificates`, a throw-away CA from `rcgen`).
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

#[cfg(unix)]
pub use light_runtime_emulators::freezer;
pub use light_runtime_emulators::{
    aliyun_fc, caller, http_platform, lambda, streamed_reply, tencent_scf,
};
pub mod hostile_api;
pub mod hostile_client;
#[cfg(feature = "otlp")]
pub mod otlp;
use light_runtime_emulators::recorded;
pub mod recording;
pub mod stopping;

pub use lambda::{EmulatorBuilder, Event, InvocationResult, LambdaEmulator, RecordedCall};
pub use recording::{Record, RecordingHook, SharedLog};
pub use stopping::stop_runtime;
