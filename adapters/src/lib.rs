//! Platform adapters for light-runtime: one thin module per platform
//! contract, each turning that platform's requests into
//! [`Invocation`](runtime_engine::Invocation)s for the pipeline and its
//! lifecycle signals into phases.
//!
//! Every adapter has the same entry point,
//! `run(lifecycle, service, shutdown, &env) -> Result<(), Error>`, and a
//! `function_info(&env)` that reads the platform's [`Environment`](runtime_engine::Environment).
//!
//! # Layout
//! - `aws_lambda` (feature `aws_lambda`): the Lambda Runtime API, with the
//!   shutdown extension and managed-instance concurrency.
//! - `local` (feature `local`): an HTTP server on `127.0.0.1` for development.
//! - `aliyun_fc` (feature `aliyun_fc`): the Alibaba FC custom-runtime HTTP
//!   server: events, HTTP invocations, `/initialize`, `/pre-freeze`, `/pre-stop`.
//! - `tencent_scf` (feature `tencent_scf`): the SCF runtime API (pull) and
//!   web functions (an HTTP server on port 9000).
//! - `http` (feature `http`): plain HTTP on `$PORT` for Knative, Cloud Run
//!   and OpenFaaS: JSON events, CloudEvents, HTTP requests.
//! - `push_server` (FC, HTTP, SCF web, local): what the push adapters share.
//!   The pull adapters (AWS, SCF) share the client of
//!   `light-runtime-http-client`.
//! - `request_facts`: function facts sent per request (FC, SCF).
//!
//! # Example
//! ```no_run
//! # async fn example(lifecycle: std::sync::Arc<runtime_engine::Lifecycle>,
//! #     service: runtime_engine::HookService<tower::util::BoxCloneSyncService<runtime_engine::Invocation, runtime_engine::Response, runtime_engine::BoxError>>) {
//! let shutdown = runtime_engine::CancellationToken::new();
//! let env = runtime_engine::Environment::process();
//! light_runtime_adapters::local::run(lifecycle, service, shutdown, &env).await.unwrap();
//! # }
//! ```

#[cfg(feature = "aliyun_fc")]
pub mod aliyun_fc;
#[cfg(feature = "aws_lambda")]
pub mod aws_lambda;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "local")]
pub mod local;
#[cfg(feature = "push_server")]
pub mod push_server;
#[cfg(any(feature = "aliyun_fc", feature = "tencent_scf"))]
mod request_facts;
#[cfg(feature = "tencent_scf")]
pub mod tencent_scf;
