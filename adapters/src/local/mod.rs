//! Local: an HTTP server on `127.0.0.1` for running a function on a laptop.
//!
//! `POST` an event to any path; the answer is the function's response
//! (`200`) or its error as JSON (`400` for a malformed event, `500` for the
//! rest, with the type in `x-light-runtime-error-type`). The request's
//! method, path and headers travel in the context
//! ([`Context::http_request`](runtime_engine::Context::http_request)), as
//! on the push platforms, so HTTP functions see them and a binary of
//! several functions routes by path. The lifecycle is the
//! cloud's: `FunctionStart` before the first request, `AfterResponse` after
//! each, `Close` on Ctrl-C or SIGTERM once in-flight requests are done. The
//! instance is never frozen, so `Freeze` does not run.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use runtime_engine::{
    CancellationToken, Deadline, Environment, Error, FunctionInfo, Invocation, Lifecycle, Outcome,
    Platform, Trigger,
};

use crate::adapter::{Adapter, RunFuture};
use crate::pipeline::BoxPipeline;
use crate::push_server;
use crate::push_server::grace::Grace;
use crate::push_server::in_flight::InFlight;
use crate::push_server::reply::{
    error_reply, response_reply, status_error_reply, text_reply, Reply,
};
use crate::push_server::reply_body::hold_until_written;
use crate::push_server::request_body::Bodies;

/// Default port when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 9000;
/// Default invocation timeout when `LIGHT_RUNTIME_TIMEOUT_MS` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest event accepted, Lambda's synchronous payload limit.
const MAX_EVENT: usize = 6 * 1024 * 1024;
/// The shutdown grace (Ctrl-C) when `LIGHT_RUNTIME_SHUTDOWN_GRACE_MS` is
/// not set: short, as a developer waits on it.
const DEFAULT_GRACE: Duration = Duration::from_secs(1);

/// The local development adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Local;

impl Adapter for Local {
    /// The function's facts for local runs: name from
    /// `LIGHT_RUNTIME_FUNCTION_NAME` (default `local-function`).
    fn function_info(&self, env: &Environment) -> FunctionInfo {
        let name = env
            .get("LIGHT_RUNTIME_FUNCTION_NAME")
            .unwrap_or_else(|| "local-function".into());
        FunctionInfo::new(Platform::Local, name).with_max_concurrency(usize::MAX)
    }

    /// Serves the pipeline on [`listen_addr`] until `shutdown` fires.
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

async fn serve(
    lifecycle: Arc<Lifecycle>,
    pipeline: BoxPipeline,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error> {
    let timeout = push_server::configured_timeout(env)?.unwrap_or(DEFAULT_TIMEOUT);
    let listener = push_server::bind(listen_addr(env)?, "PORT").await?;
    lifecycle.runtime_start()?;
    lifecycle.function_start().await?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            "function `{}` listening on http://{addr} (POST an event to invoke it)",
            lifecycle.function().name
        );
    }
    let grace = Arc::new(Grace::from_env(
        env,
        DEFAULT_GRACE,
        lifecycle.budgets().close,
    )?);
    let server = Arc::new(LocalServer {
        lifecycle: lifecycle.clone(),
        in_flight: InFlight::default(),
        bodies: Bodies::from_env(env, MAX_EVENT)?,
        grace: grace.clone(),
        requests: AtomicU64::new(0),
        timeout,
    });
    let router = server.clone();
    push_server::serve(listener, shutdown, grace.clone(), move |request| {
        router.clone().route(pipeline.clone(), request)
    })
    .await;
    // Requests and their AfterResponse hooks finish before Close.
    if !server.in_flight.wait_idle(grace.drain_left()).await {
        tracing::warn!(
            "work still running {} ms after shutdown began",
            grace.period().as_millis()
        );
    }
    lifecycle.close().await;
    Ok(())
}

/// What every request to the local server sees.
struct LocalServer {
    lifecycle: Arc<Lifecycle>,
    in_flight: InFlight,
    /// Request bodies: the limit and the budget of large ones in flight.
    bodies: Bodies,
    /// Shutdown's one deadline.
    grace: Arc<Grace>,
    /// Requests numbered so far, for their request ids.
    requests: AtomicU64,
    /// The deadline given to each invocation.
    timeout: Duration,
}

impl LocalServer {
    /// Answers one request: a `POST` is an invocation.
    async fn route(
        self: Arc<Self>,
        mut pipeline: BoxPipeline,
        request: Request<Incoming>,
    ) -> Reply {
        if request.method() != Method::POST {
            return text_reply(
                StatusCode::METHOD_NOT_ALLOWED,
                format!(
                    "function `{}` is running: POST an event (JSON) to this URL to invoke it\n",
                    self.lifecycle.function().name
                ),
            );
        }
        let (parts, body) = request.into_parts();
        let number = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let (payload, held) = match self.bodies.read(body, self.grace.reads_stop()).await {
            Ok(body) => (body.bytes, body.held),
            Err(error) => {
                let id = format!("local-{number:08}");
                error.report(&id);
                return error_reply(error.status(), &error.to_invocation_error(), &id);
            }
        };
        let work = self.in_flight.start();
        let builder = self
            .lifecycle
            .context(format!("local-{number:08}"))
            .deadline(Deadline::after(self.timeout))
            .trigger(Trigger::Other);
        // The request's method, path and headers travel with it, as on the
        // push platforms: a binary of several functions routes by path.
        let invocation =
            Invocation::from_http_request(builder, Request::from_parts(parts, payload));
        let context = invocation.context.clone();
        let outcome = pipeline.answer(invocation).await;
        let mut reply = match &outcome {
            Outcome::Response(response) => response_reply(response.clone()),
            Outcome::Error(error) => status_error_reply(error, context.request_id()),
        };
        self.in_flight
            .after_response(&self.lifecycle, context, outcome, work, &mut reply);
        hold_until_written(&mut reply, held);
        reply
    }
}
