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
//! accepting, lets in-flight requests finish, then runs `Close`.

mod cloudevent;
mod route;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use runtime_engine::Pipeline;
use runtime_engine::{CancellationToken, Error, FunctionInfo, Lifecycle, Platform};
use tokio::net::TcpListener;

pub use cloudevent::CloudEvent;

use crate::push_server::{self, InFlight};
use runtime_engine::Environment;

/// The port variable Knative and Cloud Run set.
pub const PORT_VAR: &str = "PORT";
/// The default port (Cloud Run, OpenFaaS).
pub const DEFAULT_PORT: u16 = 8080;
/// Largest request body accepted.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// Whether the environment is a plain-HTTP platform: `K_SERVICE` (Knative,
/// Cloud Run) or `FUNCTION_TARGET` (Cloud Run functions). OpenFaaS sets
/// nothing reliable: use `LIGHT_RUNTIME_PLATFORM=http` there.
pub fn is_detected(env: &Environment) -> bool {
    env.contains("K_SERVICE") || env.contains("FUNCTION_TARGET")
}

/// The function's facts: name from `K_SERVICE`, `FUNCTION_TARGET` or
/// `LIGHT_RUNTIME_FUNCTION_NAME`; version from `K_REVISION`.
pub fn function_info(env: &Environment) -> FunctionInfo {
    let name = env
        .get("K_SERVICE")
        .or_else(|| env.get("FUNCTION_TARGET"))
        .or_else(|| env.get("LIGHT_RUNTIME_FUNCTION_NAME"))
        .unwrap_or_else(|| "function".into());
    FunctionInfo::new(Platform::Http, name)
        .with_version(env.get("K_REVISION").unwrap_or_else(|| "$LATEST".into()))
        .with_max_concurrency(usize::MAX)
}

/// How a platform's HTTP server differs (plain HTTP, SCF web functions).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    /// Port variables, first set wins.
    pub(crate) port_vars: &'static [&'static str],
    pub(crate) default_port: u16,
    /// The request header carrying the platform's request id.
    pub(crate) request_id_header: &'static str,
    /// Prefix of locally made request ids.
    pub(crate) id_prefix: &'static str,
    /// Whether CloudEvents are decoded.
    pub(crate) cloudevents: bool,
}

const PLAIN_HTTP: Options = Options {
    port_vars: &[PORT_VAR],
    default_port: DEFAULT_PORT,
    request_id_header: "x-request-id",
    id_prefix: "http",
    cloudevents: true,
};

/// Listens on `0.0.0.0:$PORT` and serves until `shutdown`.
pub async fn run<S>(
    lifecycle: Arc<Lifecycle>,
    service: S,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error>
where
    S: Pipeline,
{
    run_with(lifecycle, service, shutdown, env, PLAIN_HTTP).await
}

/// [`run`] with a platform's [`Options`].
pub(crate) async fn run_with<S>(
    lifecycle: Arc<Lifecycle>,
    service: S,
    shutdown: CancellationToken,
    env: &Environment,
    options: Options,
) -> Result<(), Error>
where
    S: Pipeline,
{
    let addr = push_server::listen_addr(env, options.port_vars, options.default_port)?;
    lifecycle.runtime_start()?;
    lifecycle.function_start().await?;
    let listener = push_server::bind(addr, options.port_vars[0]).await?;
    serve_with(listener, lifecycle, service, shutdown, env, options).await
}

/// Serves plain HTTP on an already bound `listener`; `RuntimeStart` and
/// `FunctionStart` must have run.
pub async fn serve<S>(
    listener: TcpListener,
    lifecycle: Arc<Lifecycle>,
    service: S,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error>
where
    S: Pipeline,
{
    serve_with(listener, lifecycle, service, shutdown, env, PLAIN_HTTP).await
}

async fn serve_with<S>(
    listener: TcpListener,
    lifecycle: Arc<Lifecycle>,
    service: S,
    shutdown: CancellationToken,
    env: &Environment,
    options: Options,
) -> Result<(), Error>
where
    S: Pipeline,
{
    let timeout = push_server::configured_timeout(env)?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            "function `{}` serving HTTP on {addr}",
            lifecycle.function().name
        );
    }
    let shared = Arc::new(route::Shared {
        lifecycle: lifecycle.clone(),
        in_flight: InFlight::default(),
        counter: AtomicU64::new(0),
        timeout,
        options,
    });
    let drain = timeout.unwrap_or(route::DRAIN_LIMIT);
    let router = shared.clone();
    push_server::serve(listener, shutdown, drain, move |request| {
        route::route(router.clone(), service.clone(), request)
    })
    .await;
    shared.in_flight.wait_idle(drain).await;
    lifecycle.close().await;
    Ok(())
}
