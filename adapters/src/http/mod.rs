//! Plain HTTP for Knative, Cloud Run and OpenFaaS (reference 4.1, 4.3): an
//! HTTP/1.1 server on `0.0.0.0:$PORT` (default 8080).
//!
//! Every request is an invocation. Its method, URI and headers travel in
//! the context ([`Context::http_request`](runtime_engine::Context::http_request)),
//! so HTTP functions get the `http::Request` and answer an `http::Response`;
//! event functions get the body as their event:
//! - a JSON body is the event;
//! - a CloudEvent in binary mode (`ce-*` headers) or structured mode
//!   (`Content-Type: application/cloudevents+json`) gives its `data` as the
//!   event and its attributes as a [`CloudEvent`] in the context's extensions;
//! - `GET /_/health` and `GET /_/ready` answer `200` (OpenFaaS probes).
//!
//! Errors answer `400` (malformed event) or `500`, with a JSON body and the
//! error type in `x-light-runtime-error-type`. The request id is the
//! CloudEvent id, else `x-request-id`, else a local counter. These platforms
//! send no deadline: `LIGHT_RUNTIME_TIMEOUT_MS` sets one. SIGTERM stops
//! accepting, refuses bodies still arriving (`503`), lets in-flight
//! requests finish, then runs `Close`, all within the shutdown grace
//! (`LIGHT_RUNTIME_SHUTDOWN_GRACE_MS`, default 10 s).
//!
//! # Layout
//! - `server`: the options and the state every request sees.
//! - `route`: one request: an invocation, a CloudEvent or a health probe.
//! - `cloudevent`: [`CloudEvent`]s in binary and structured mode.

mod cloudevent;
mod route;
pub(crate) mod server;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use runtime_engine::{CancellationToken, Environment, Error, FunctionInfo, Lifecycle, Platform};

pub use cloudevent::CloudEvent;

use crate::adapter::{Adapter, RunFuture};
use crate::pipeline::BoxPipeline;
use crate::push_server::grace::Grace;
use crate::push_server::request_body::Bodies;
use crate::push_server::{self, in_flight::InFlight};
use server::{HttpOptions, HttpServer, DEFAULT_GRACE, MAX_BODY};

/// The port variable Knative and Cloud Run set.
pub const PORT_VAR: &str = "PORT";
/// The default port (Cloud Run, OpenFaaS).
pub const DEFAULT_PORT: u16 = 8080;

pub(crate) const PLAIN_HTTP: HttpOptions = HttpOptions {
    port_vars: &[PORT_VAR],
    default_port: DEFAULT_PORT,
    request_id_header: "x-request-id",
    id_prefix: "http",
    cloudevents: true,
};

/// The plain-HTTP adapter (Knative, Cloud Run, OpenFaaS).
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainHttp;

impl Adapter for PlainHttp {
    /// The function's facts: name from `K_SERVICE`, `FUNCTION_TARGET` or
    /// `LIGHT_RUNTIME_FUNCTION_NAME`; version from `K_REVISION`.
    fn function_info(&self, env: &Environment) -> FunctionInfo {
        let name = env
            .get("K_SERVICE")
            .or_else(|| env.get("FUNCTION_TARGET"))
            .or_else(|| env.get("LIGHT_RUNTIME_FUNCTION_NAME"))
            .unwrap_or_else(|| "function".into());
        FunctionInfo::new(Platform::Http, name)
            .with_version(env.get("K_REVISION").unwrap_or_else(|| "$LATEST".into()))
            .with_max_concurrency(usize::MAX)
    }

    /// Listens on `0.0.0.0:$PORT` and serves until `shutdown`.
    fn run<'a>(
        &'a self,
        lifecycle: Arc<Lifecycle>,
        pipeline: BoxPipeline,
        shutdown: CancellationToken,
        env: &'a Environment,
    ) -> RunFuture<'a> {
        Box::pin(serve_http(lifecycle, pipeline, shutdown, env, PLAIN_HTTP))
    }
}

/// `RuntimeStart`, `FunctionStart`, then serves HTTP as `options` say until
/// `shutdown`; then in-flight requests finish and `Close` runs.
pub(crate) async fn serve_http(
    lifecycle: Arc<Lifecycle>,
    pipeline: BoxPipeline,
    shutdown: CancellationToken,
    env: &Environment,
    options: HttpOptions,
) -> Result<(), Error> {
    let addr = push_server::listen_addr(env, options.port_vars, options.default_port)?;
    lifecycle.runtime_start()?;
    lifecycle.function_start().await?;
    let listener = push_server::bind(addr, options.port_vars[0]).await?;
    let timeout = push_server::configured_timeout(env)?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            "function `{}` serving HTTP on {addr}",
            lifecycle.function().name
        );
    }
    let grace = Arc::new(Grace::from_env(
        env,
        DEFAULT_GRACE,
        lifecycle.budgets().close,
    )?);
    let server = Arc::new(HttpServer {
        lifecycle: lifecycle.clone(),
        in_flight: InFlight::default(),
        bodies: Bodies::from_env(env, MAX_BODY)?,
        grace: grace.clone(),
        requests: AtomicU64::new(0),
        timeout,
        options,
    });
    let router = server.clone();
    push_server::serve(listener, shutdown, grace.clone(), move |request| {
        route::route(router.clone(), pipeline.clone(), request)
    })
    .await;
    if !server.in_flight.wait_idle(grace.drain_left()).await {
        tracing::warn!("closing with requests still running");
    }
    lifecycle.close().await;
    Ok(())
}
