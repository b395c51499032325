//! Loopback emulators of the serverless platforms light-runtime speaks, each
//! recording every call it served. The `light-runtime emulate`, `invoke`,
//! `replay` and `relay` commands run functions under them; the project's
//! tests assert against them.
//!
//! # Layout
//! - [`lambda`]: [`LambdaEmulator`], the AWS Lambda Runtime API (and the
//!   Extensions API's register / SHUTDOWN) on `127.0.0.1`, with fault
//!   injection; [`Event`]s in, [`InvocationResult`]s and [`RecordedCall`]s
//!   out, streamed responses recorded chunk by chunk with their trailers.
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
//! - [`freezer`] (unix): [`Freezer`](freezer::Freezer), freezing,
//!   thawing and reclaiming a function process as FC 3.0, Cloud Run and
//!   SCF web functions do between requests (`SIGSTOP`, `SIGCONT`, `SIGKILL`).
//! - [`recorded`]: a header by name and the body as JSON, for every recorded
//!   message type above.
//!
//! # Example
//! ```
//! use std::time::Duration;
//! use light_runtime_emulators::{Event, LambdaEmulator};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let emulator = LambdaEmulator::start().await.unwrap();
//! let request_id = emulator.push(Event::json(serde_json::json!({"name": "ada"})));
//! // Point a runtime at it: AWS_LAMBDA_RUNTIME_API = emulator.runtime_api().
//! // Then read what the platform received:
//! if let Some(result) = emulator.result(&request_id, Duration::from_millis(10)).await {
//!     assert!(!result.is_error());
//!     assert_eq!(emulator.answers_for(&request_id), 1);
//! }
//! # });
//! ```

pub mod aliyun_fc;
pub mod caller;
#[cfg(unix)]
pub mod freezer;
pub mod http_platform;
pub mod lambda;
pub mod recorded;
pub mod streamed_reply;
pub mod tencent_scf;

pub use lambda::{EmulatorBuilder, Event, InvocationResult, LambdaEmulator, RecordedCall};
