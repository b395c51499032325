//! Local: an HTTP server on `127.0.0.1` for running a function on a laptop.
//!
//! `POST` an event to any path; the answer is the function's response
//! (`200`) or its error as JSON (`400` for a malformed event, `500` for the
//! rest, with the type in `x-light-runtime-error-type`). The lifecycle is the
//! cloud's: `FunctionStart` before the first request, `AfterResponse` after
//! each, `Close` on Ctrl-C or SIGTERM once in-flight requests are done. The
//! instance is never frozen, so `Freeze` does not run.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use runtime_engine::Pipeline;
use runtime_engine::{
    BoxError, CancellationToken, Deadline, Error, ErrorKind, FunctionInfo, Invocation, Lifecycle,
    Outcome, Platform, PlatformHeaders, Trigger,
};
use tokio::net::TcpListener;
use tower::Service;

use crate::push_server::{self, call_pipeline, error_reply, read_body, InFlight, Reply};

use runtime_engine::Environment;

/// Default port when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 9000;
/// Default invocation timeout when `LIGHT_RUNTIME_TIMEOUT_MS` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest event accepted, Lambda's synchronous payload limit.
const MAX_EVENT: usize = 6 * 1024 * 1024;

/// The function's facts for local runs: name from `LIGHT_RUNTIME_FUNCTION_NAME`
/// (default `local-function`).
pub fn function_info(env: &Environment) -> FunctionInfo {
    let name = env
        .get("LIGHT_RUNTIME_FUNCTION_NAME")
        .unwrap_or_else(|| "local-function".into());
    FunctionInfo::new(Platform::Local, name).with_max_concurrency(usize::MAX)
}

/// Where the local server listens: `127.0.0.1:$PORT`, default 9000.
pub fn listen_addr(env: &Environment) -> Result<SocketAddr, Error> {
    let port = match env.get("PORT") {
        Some(text) => text.parse::<u16>().map_err(|_| {
            Error::config(format!(
                "PORT must be a port number (0-65535), got {text:?}"
            ))
        })?,
        None => DEFAULT_PORT,
    };
    Ok(SocketAddr::from(([127, 0, 0, 1], port)))
}

fn timeout(env: &Environment) -> Result<Duration, Error> {
    Ok(push_server::configured_timeout(env)?.unwrap_or(DEFAULT_TIMEOUT))
}

/// Serves `service` on [`listen_addr`] until `shutdown` fires.
pub async fn run<S>(
    lifecycle: Arc<Lifecycle>,
    service: S,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error>
where
    S: Pipeline,
{
    let timeout = timeout(env)?;
    let listener = push_server::bind(listen_addr(env)?, "PORT").await?;
    lifecycle.runtime_start()?;
    lifecycle.function_start().await?;
    serve_with(listener, lifecycle, service, shutdown, timeout).await
}

/// Serves `service` on an already bound `listener` (tests bind port 0);
/// `RuntimeStart` and `FunctionStart` must have run, as for every
/// adapter's `serve` ([`run`] runs them).
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
    serve_with(listener, lifecycle, service, shutdown, timeout(env)?).await
}

async fn serve_with<S>(
    listener: TcpListener,
    lifecycle: Arc<Lifecycle>,
    service: S,
    shutdown: CancellationToken,
    timeout: Duration,
) -> Result<(), Error>
where
    S: Pipeline,
{
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            "function `{}` listening on http://{addr} (POST an event to invoke it)",
            lifecycle.function().name
        );
    }
    let in_flight = InFlight::default();
    let counter = Arc::new(AtomicU64::new(0));
    let route = {
        let (lifecycle, in_flight) = (lifecycle.clone(), in_flight.clone());
        move |request| {
            let exchange = Exchange {
                lifecycle: lifecycle.clone(),
                in_flight: in_flight.clone(),
                counter: counter.clone(),
                timeout,
            };
            exchange.handle(service.clone(), request)
        }
    };
    let budget = lifecycle.budgets().close;
    push_server::serve(listener, shutdown, budget, route).await;
    // Requests and their AfterResponse hooks finish before Close.
    if !in_flight.wait_idle(budget).await {
        tracing::warn!(
            "work still running {} ms after shutdown began",
            budget.as_millis()
        );
    }
    lifecycle.close().await;
    Ok(())
}

/// What one request needs from the server.
struct Exchange {
    lifecycle: Arc<Lifecycle>,
    in_flight: InFlight,
    counter: Arc<AtomicU64>,
    timeout: Duration,
}

impl Exchange {
    async fn handle<S>(self, service: S, request: Request<Incoming>) -> Reply
    where
        S: Service<Invocation, Response = Outcome> + Send + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send,
    {
        if request.method() != Method::POST {
            return push_server::exchange::text_reply(
                StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "function `{}` is running: POST an event (JSON) to this URL to invoke it\n",
                    self.lifecycle.function().name
                ),
            );
        }
        let work = self.in_flight.start();
        let (parts, body) = request.into_parts();
        let payload = match read_body(body, MAX_EVENT).await {
            Ok(payload) => payload,
            Err(message) => {
                return push_server::exchange::text_reply(StatusCode::PAYLOAD_TOO_LARGE, message)
            }
        };
        let number = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let context = self
            .lifecycle
            .context(format!("local-{number:08}"))
            .deadline(Deadline::after(self.timeout))
            .trigger(Trigger::Other)
            .platform_headers(PlatformHeaders::from_map(parts.headers))
            .build();
        let outcome = call_pipeline(service, Invocation::new(context.clone(), payload)).await;
        let reply = match &outcome {
            Outcome::Response(response) => push_server::exchange::response_reply(response.clone()),
            Outcome::Error(error) => {
                let status = if error.kind() == ErrorKind::MalformedEvent {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                let mut reply = error_reply(status, error, context.request_id());
                if let Ok(value) = http::HeaderValue::from_str(error.error_type()) {
                    reply
                        .headers_mut()
                        .insert("x-light-runtime-error-type", value);
                }
                reply
            }
        };
        self.in_flight
            .after_response(&self.lifecycle, context, outcome, work);
        reply
    }
}
