//! Write a serverless function once, run it on AWS Lambda and locally with
//! one lifecycle, one context and reusable layers.
//!
//! A function is an `async fn(Event, Context) -> Result<Response, Error>`;
//! [`run`] detects the platform from the environment (AWS Lambda when
//! `AWS_LAMBDA_RUNTIME_API` is set, else a local HTTP server on
//! `127.0.0.1:$PORT`) and serves it through the lifecycle
//! RuntimeStart → FunctionStart → (BeforeInvoke → Invoke → AfterInvoke →
//! AfterResponse → Freeze)* → Close → End.
//!
//! # Layout
//! - [`handler`]: the [`Handler`] trait for async functions (also those that
//!   build their own, e.g. streamed, [`Response`]) and tower services.
//! - [`batch`]: batch functions, one call per record, answered each platform's way (feature `events`).
//! - [`http`]: HTTP functions and tower HTTP services (an axum `Router`),
//!   served from pushed HTTP and from gateway events alike.
//! - [`builder`]: [`Runtime::builder`] with hooks, layers, init and close closures.
//! - [`functions`]: several functions in one binary, and which one serves
//!   (the deployment's handler setting, or the request path).
//! - [`error`]: [`Error`], what handlers return.
//! - [`event`]: decoding events with the JSON path of what is wrong.
//! - [`platform`]: platform detection and `LIGHT_RUNTIME_PLATFORM`.
//! - [`plugins`]: hook plugins from `LIGHT_RUNTIME_PLUGINS` or
//!   `light-runtime.toml`, loaded before the first phase.
//! - [`shutdown`]: SIGTERM / Ctrl-C as a cancellation token.
//! - `diagnostics`: the runtime's own warnings and errors on stderr, in the
//!   platform's log format, when no `tracing` subscriber would print them.
//! - `layered`: lifecycle layers on the builder and `LIGHT_RUNTIME_LAYERS`;
//!   the layers themselves are [`layers`] (feature `layers`).
//!
//! # Example
//! ```no_run
//! use light_runtime::{Context, Error};
//! use serde_json::{json, Value};
//!
//! async fn hello(event: Value, ctx: Context) -> Result<Value, Error> {
//!     let name = event["name"].as_str().unwrap_or("world");
//!     Ok(json!({ "message": format!("hello, {name}"), "request": ctx.request_id() }))
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), light_runtime::RuntimeError> {
//!     light_runtime::run(hello).await
//! }
//! ```

#[cfg(feature = "events")]
pub mod batch;
pub mod builder;
mod closure_hook;
mod diagnostics;
pub mod error;
pub mod event;
pub mod functions;
pub mod handler;
pub mod http;
mod layered;
pub mod platform;
pub mod plugins;
pub mod shutdown;

pub use builder::{Runtime, RuntimeBuilder};
pub use error::Error;
pub use functions::{Functions, SingleFunction};
pub use handler::Handler;
pub use runtime_engine::Environment;
/// The error [`run`] returns when the runtime as a whole fails.
pub use runtime_engine::Error as RuntimeError;
pub use runtime_engine::{
    BoxError, Budgets, Context, Flow, FunctionInfo, Hook, HookFuture, Invocation, InvocationError,
    Outcome, Phase, Platform, Response, TimingsReport,
};

/// The reusable layers (features `logging`, `metrics`, `trace`, `preload`,
/// `timeout`, `relay`, `capture`); add them with
/// [`RuntimeBuilder::lifecycle_layer`] or name them in `LIGHT_RUNTIME_LAYERS`
/// (the relay: `LIGHT_RUNTIME_RELAY`; capture: `LIGHT_RUNTIME_CAPTURE`).
#[cfg(feature = "layers")]
pub use light_runtime_layers as layers;

/// The platforms' events, typed (feature `events`): gateway events as HTTP
/// requests, and object-storage, timer and queue events across clouds.
#[cfg(feature = "events")]
pub use light_runtime_events as events;

/// The engine, for hook and layer authors.
pub use runtime_engine as engine;

/// Runs `handler` on the detected platform with no hooks or layers.
///
/// Resolves after an orderly shutdown, or with the error that stopped the
/// runtime (init failure, platform unreachable); return it from `main` to
/// exit non-zero.
pub async fn run<H, M>(handler: H) -> Result<(), RuntimeError>
where
    H: Handler<M>,
{
    Runtime::builder().run(handler).await
}
