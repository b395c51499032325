//! Platform adapters for light-runtime: one thin module per platform
//! contract, each turning that platform's requests into
//! [`Invocation`](runtime_engine::Invocation)s for the pipeline and its
//! lifecycle signals into phases.
//!
//! Every adapter implements one contract, [`Adapter`]: describe the
//! function from the platform's [`Environment`](runtime_engine::Environment)
//! and run a [`BoxPipeline`] until shutdown. [`PLATFORMS`] lists every
//! platform in detection order, with its names, cargo feature, the
//! variables that give it away and its adapter when compiled in; the
//! builder walks it. `docs/adding-a-platform.md` shows how to add one.
//!
//! # Layout
//! - [`adapter`]: the [`Adapter`] trait.
//! - [`platforms`]: [`PLATFORMS`], detection and `LIGHT_RUNTIME_PLATFORM`.
//! - [`pipeline`]: [`BoxPipeline`] and [`BoxPipeline::answer`], the one way
//!   an adapter calls the pipeline.
//! - `aws_lambda` (feature `aws_lambda`): the Lambda Runtime API, with the
//!   shutdown extension and managed-instance concurrency.
//! - `aliyun_fc` (feature `aliyun_fc`): the Alibaba FC custom-runtime HTTP
//!   server: events, HTTP invocations, `/initialize`, `/pre-freeze`, `/pre-stop`.
//! - `tencent_scf` (feature `tencent_scf`): the SCF runtime API (pull) and
//!   web functions (an HTTP server on port 9000).
//! - `http` (feature `http`): plain HTTP on `$PORT` for Knative, Cloud Run
//!   and OpenFaaS: JSON events, CloudEvents, HTTP requests.
//! - `local` (feature `local`): an HTTP server on `127.0.0.1` for development.
//! - `pull_loop` (AWS, SCF events): the one `next` → pipeline → post loop,
//!   over each platform's runtime API client (built on
//!   `light-runtime-http-client`).
//! - `push_server` (FC, HTTP, SCF web, local): the HTTP server the push
//!   adapters share: listening, draining, in-flight work, replies.
//! - `function_info`: function info that some platforms send with every
//!   request (FC, SCF), kept current.
//!
//! # Example
//! ```no_run
//! # async fn example(lifecycle: std::sync::Arc<runtime_engine::Lifecycle>,
//! #     service: runtime_engine::HookService<tower::util::BoxCloneSyncService<runtime_engine::Invocation, runtime_engine::Response, runtime_engine::BoxError>>) {
//! use light_runtime_adapters::{BoxPipeline, KnownPlatform};
//!
//! let env = runtime_engine::Environment::process();
//! let adapter = KnownPlatform::detect(&env).unwrap().adapter().unwrap();
//! let shutdown = runtime_engine::CancellationToken::new();
//! adapter
//!     .run(lifecycle, BoxPipeline::new(service), shutdown, &env)
//!     .await
//!     .unwrap();
//! # }
//! ```

pub mod adapter;
#[cfg(feature = "aliyun_fc")]
pub mod aliyun_fc;
#[cfg(feature = "aws_lambda")]
pub mod aws_lambda;
#[cfg(any(feature = "aliyun_fc", feature = "tencent_scf"))]
mod function_info;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "local")]
pub mod local;
pub mod pipeline;
pub mod platforms;
#[cfg(feature = "pull")]
mod pull_loop;
#[cfg(feature = "push_server")]
pub mod push_server;
#[cfg(feature = "tencent_scf")]
pub mod tencent_scf;

pub use adapter::{Adapter, RunFuture};
pub use pipeline::BoxPipeline;
pub use platforms::{KnownPlatform, Sign, PLATFORMS, PLATFORM_VAR};

// `docs/adding-a-platform.md`'s example compiles as a doctest, so the guide
// cannot drift from the trait.
#[cfg(doctest)]
#[doc = include_str!("../../docs/adding-a-platform.md")]
struct AddingAPlatformGuide;
