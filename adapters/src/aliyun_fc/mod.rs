//! Alibaba Cloud Function Compute (FC 2.0 and 3.0) custom runtime: a push
//! contract. The function is an HTTP server FC calls.
//!
//! Routing follows `x-fc-control-path` (reference section 2.4):
//!
//! | request | phase |
//! |---|---|
//! | `POST /initialize` | `FunctionStart` (also run before the first invocation if FC never calls it: `/initialize` only comes when an initializer is configured) |
//! | `POST /invoke` | an event invocation |
//! | any, `x-fc-control-path: /http-invoke` | an HTTP invocation: the function gets the `http::Request`, FC gets its `http::Response` |
//! | `GET /pre-freeze` (FC 2.0) | waits for pending `AfterResponse` work, then `Freeze` |
//! | `GET /pre-stop` | in-flight work finishes, then `Close`; the server stops; all within the shutdown grace (`LIGHT_RUNTIME_SHUTDOWN_GRACE_MS`, default 30 s) |
//!
//! Failures answer `404` with `x-fc-status: 404`, so FC records them (an
//! absent `x-fc-status` counts as success); a request whose body could not
//! be read answers `413` (too large), `400` (cut short) or `503` (shutdown
//! began first), also with `x-fc-status: 404`, and is reported on stderr. Each invocation is framed by
//! the `FC Invoke Start RequestId: …` / `FC Invoke End RequestId: …` lines
//! FC uses to cut per-request logs. Several requests may be in flight at
//! once (instance concurrency). SIGTERM, where it comes, also means `Close`.
//!
//! # Layout
//! - `server`: what every request from FC sees.
//! - `route`: routing, and event and HTTP invocations.
//! - `instance_lifecycle`: `/initialize`, `/pre-freeze`, `/pre-stop`.
//! - `headers`: the `x-fc-*` headers into [`Context`](runtime_engine::Context).
//! - `markers`: the log marker lines.

mod headers;
mod instance_lifecycle;
mod markers;
mod route;
mod server;

use std::sync::{Arc, Mutex, PoisonError};

use runtime_engine::{CancellationToken, Environment, Error, FunctionInfo, Lifecycle, Platform};

use crate::adapter::{Adapter, RunFuture};
use crate::function_info::CurrentFunctionInfo;
use crate::pipeline::BoxPipeline;
use crate::push_server::grace::Grace;
use crate::push_server::request_body::Bodies;
use crate::push_server::{self, in_flight::InFlight};
use server::{FcServer, DEFAULT_GRACE, MAX_BODY};

/// The port FC 3.0 documents (`CAPort`, default 9000).
pub const PORT_VAR: &str = "FC_CUSTOM_LISTEN_PORT";
/// The port the `aliyun/fc-docker` image and most FC 2.0 samples read;
/// whether production FC sets it is unconfirmed, so it is only a fallback.
pub const LEGACY_PORT_VAR: &str = "FC_SERVER_PORT";
/// FC's default `CAPort`.
pub const DEFAULT_PORT: u16 = 9000;

/// The Alibaba Cloud Function Compute adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct AliyunFc;

impl Adapter for AliyunFc {
    /// The function's facts from FC 3.0's environment variables. FC 2.0 sets
    /// none of them; there the `x-fc-*` headers of each request fill them in.
    fn function_info(&self, env: &Environment) -> FunctionInfo {
        let var = |name: &str| env.get(name);
        FunctionInfo::new(
            Platform::AliyunFc,
            var("FC_FUNCTION_NAME").unwrap_or_else(|| "function".into()),
        )
        .with_version(
            var("FC_FUNCTION_VERSION")
                .or_else(|| var("FC_VER_ID"))
                .unwrap_or_else(|| "LATEST".into()),
        )
        .with_memory_mb(var("FC_FUNCTION_MEMORY_SIZE").and_then(|m| m.parse().ok()))
        .with_region(var("FC_REGION"))
        .with_account_id(var("FC_ACCOUNT_ID"))
        // Instance concurrency is a function setting FC does not tell the
        // instance (unconfirmed); the server takes whatever FC sends.
        .with_max_concurrency(usize::MAX)
        // FC 3.0 has no PreFreeze hook and FC 2.0 sends `/pre-freeze` only
        // when the user configured one: the instance cannot count on it.
        .with_freezes_with_notice(false)
    }

    /// Listens on `0.0.0.0:$FC_CUSTOM_LISTEN_PORT` (then `$FC_SERVER_PORT`,
    /// then 9000) and serves FC's requests until `/pre-stop` or `shutdown`.
    ///
    /// Returns the init error if `FunctionStart` failed (after answering the
    /// request that triggered it), so the process exits non-zero.
    fn run<'a>(
        &'a self,
        lifecycle: Arc<Lifecycle>,
        pipeline: BoxPipeline,
        shutdown: CancellationToken,
        env: &'a Environment,
    ) -> RunFuture<'a> {
        Box::pin(serve(lifecycle, pipeline, shutdown, env))
    }
}

async fn serve(
    lifecycle: Arc<Lifecycle>,
    pipeline: BoxPipeline,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error> {
    let addr = push_server::listen_addr(env, &[PORT_VAR, LEGACY_PORT_VAR], DEFAULT_PORT)?;
    lifecycle.runtime_start()?;
    let listener = push_server::bind(addr, PORT_VAR).await?;
    let default_timeout = push_server::configured_timeout(env)?;
    let stop = shutdown.child_token();
    let grace = Arc::new(Grace::from_env(
        env,
        DEFAULT_GRACE,
        lifecycle.budgets().close,
    )?);
    let fc = Arc::new(FcServer {
        function: CurrentFunctionInfo::new(lifecycle.function().clone()),
        lifecycle: lifecycle.clone(),
        in_flight: InFlight::default(),
        bodies: Bodies::from_env(env, MAX_BODY)?,
        grace: grace.clone(),
        started: tokio::sync::OnceCell::new(),
        init_error: Mutex::new(None),
        stop: stop.clone(),
        default_timeout,
    });
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            "function `{}` serving FC requests on {addr}",
            lifecycle.function().name
        );
    }
    let router = fc.clone();
    push_server::serve(listener, stop, grace.clone(), move |request| {
        route::route(router.clone(), pipeline.clone(), request)
    })
    .await;
    // SIGTERM without `/pre-stop`: the same Close, once in-flight work is
    // done or the grace's drain time is up.
    if !fc.in_flight.wait_idle(grace.drain_left()).await {
        tracing::warn!("closing with invocations still running");
    }
    lifecycle.close().await;
    let init_error = fc
        .init_error
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match init_error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}
