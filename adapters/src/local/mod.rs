//! Local: an HTTP server on `127.0.0.1` for running a function on a laptop.
//!
//! `POST` an event to any path; the answer is the function's response
//! (`200`) or its error as JSON (`400` for a malformed event, `500` for the
//! rest, with the type in `x-light-runtime-error-type`). The lifecycle is the
//! cloud's: `FunctionStart` before the first request, `AfterResponse` after
//! each, `Close` on Ctrl-C or SIGTERM once in-flight requests are done. The
//! instance is never frozen, so `Freeze` does not run.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use runtime_engine::{
    BoxError, CancellationToken, Deadline, Error, ErrorKind, FunctionInfo, Invocation,
    InvocationError, Lifecycle, Outcome, Platform, PlatformHeaders, Trigger,
};
use tokio::net::TcpListener;
use tower::{Service, ServiceExt};

use crate::Environment;

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
    match env.get("LIGHT_RUNTIME_TIMEOUT_MS") {
        Some(text) => text.parse::<u64>().map(Duration::from_millis).map_err(|_| {
            Error::config(format!(
                "LIGHT_RUNTIME_TIMEOUT_MS must be a number of milliseconds, got {text:?}"
            ))
        }),
        None => Ok(DEFAULT_TIMEOUT),
    }
}

/// Serves `service` on [`listen_addr`] until `shutdown` fires.
pub async fn run<S>(
    lifecycle: Arc<Lifecycle>,
    service: S,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error>
where
    S: Service<Invocation, Response = Outcome> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    let addr = listen_addr(env)?;
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        Error::config(format!(
            "cannot listen on {addr} (set PORT to another port)"
        ))
        .with_source(e)
    })?;
    serve(listener, lifecycle, service, shutdown, env).await
}

/// Serves `service` on an already bound `listener` (tests bind port 0).
pub async fn serve<S>(
    listener: TcpListener,
    lifecycle: Arc<Lifecycle>,
    service: S,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error>
where
    S: Service<Invocation, Response = Outcome> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    let timeout = timeout(env)?;
    lifecycle.runtime_start()?;
    lifecycle.function_start().await?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            "function `{}` listening on http://{addr} (POST an event to invoke it)",
            lifecycle.function().name
        );
    }
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let counter = Arc::new(AtomicU64::new(0));
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!("accept failed: {error}");
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let (lifecycle, service, counter) = (lifecycle.clone(), service.clone(), counter.clone());
        let handler = hyper::service::service_fn(move |request| {
            handle(
                lifecycle.clone(),
                service.clone(),
                counter.clone(),
                timeout,
                request,
            )
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), handler);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!("connection ended: {error}");
            }
        });
    }
    // In-flight requests finish first, within the Close budget.
    let budget = lifecycle.budgets().close;
    if tokio::time::timeout(budget, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {} ms at shutdown",
            budget.as_millis()
        );
    }
    lifecycle.close().await;
    Ok(())
}

type Body = Full<Bytes>;

async fn handle<S>(
    lifecycle: Arc<Lifecycle>,
    service: S,
    counter: Arc<AtomicU64>,
    timeout: Duration,
    request: Request<Incoming>,
) -> Result<http::Response<Body>, Infallible>
where
    S: Service<Invocation, Response = Outcome> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    if request.method() != Method::POST {
        return Ok(reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            format!(
                "function `{}` is running: POST an event (JSON) to this URL to invoke it\n",
                lifecycle.function().name
            )
            .into(),
        ));
    }
    let (parts, body) = request.into_parts();
    let payload = match http_body_util::Limited::new(body, MAX_EVENT)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            return Ok(reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                "text/plain",
                format!("the event could not be read: {error}\n").into(),
            ))
        }
    };
    let number = counter.fetch_add(1, Ordering::Relaxed) + 1;
    let context = lifecycle
        .context(format!("local-{number:08}"))
        .deadline(Deadline::after(timeout))
        .trigger(Trigger::Other)
        .platform_headers(PlatformHeaders::from_map(parts.headers))
        .build();
    let invocation = Invocation::new(context.clone(), payload);
    let outcome = match service.oneshot(invocation).await {
        Ok(outcome) => outcome,
        Err(error) => Outcome::Error(InvocationError::from_boxed(error.into())),
    };
    let response = match &outcome {
        Outcome::Response(response) => reply(
            StatusCode::OK,
            response.content_type(),
            response.body().clone(),
        ),
        Outcome::Error(error) => {
            let status = if error.kind() == ErrorKind::MalformedEvent {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            let body = serde_json::json!({
                "errorType": error.error_type(),
                "errorMessage": error.message(),
                "requestId": context.request_id(),
            });
            let mut response = reply(status, "application/json", body.to_string().into());
            if let Ok(value) = http::HeaderValue::from_str(error.error_type()) {
                response
                    .headers_mut()
                    .insert("x-light-runtime-error-type", value);
            }
            response
        }
    };
    // Runs beside the write of the response, never before it.
    tokio::spawn(async move { lifecycle.after_response(&context, &outcome).await });
    Ok(response)
}

fn reply(status: StatusCode, content_type: &str, body: Bytes) -> http::Response<Body> {
    let mut response = http::Response::new(Full::new(body));
    *response.status_mut() = status;
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}
