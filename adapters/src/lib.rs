//! Platform adapters for light-runtime: one thin module per platform
//! contract, each turning that platform's requests into
//! [`Invocation`](runtime_engine::Invocation)s for the pipeline and its
//! lifecycle signals into phases.
//!
//! Every adapter has the same entry point,
//! `run(lifecycle, service, shutdown, &env) -> Result<(), Error>`, and a
//! `function_info(&env)` that reads the platform's [`Environment`].
//!
//! # Layout
//! - [`environment`]: where adapters read configuration from.
//! - `aws_lambda` (feature `aws_lambda`): the Lambda Runtime API, with the
//!   shutdown extension and managed-instance concurrency.
//! - `local` (feature `local`): an HTTP server on `127.0.0.1` for development.
//!
//! # Example
//! ```no_run
//! # async fn example(lifecycle: std::sync::Arc<runtime_engine::Lifecycle>,
//! #     service: runtime_engine::HookService<tower::util::BoxCloneSyncService<runtime_engine::Invocation, runtime_engine::Response, runtime_engine::BoxError>>) {
//! let shutdown = runtime_engine::CancellationToken::new();
//! let env = light_runtime_adapters::Environment::process();
//! light_runtime_adapters::local::run(lifecycle, service, shutdown, &env).await.unwrap();
//! # }
//! ```

#[cfg(feature = "aws_lambda")]
pub mod aws_lambda;
pub mod environment;
#[cfg(feature = "local")]
pub mod local;

pub use environment::Environment;
