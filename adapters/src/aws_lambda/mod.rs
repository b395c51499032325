//! AWS Lambda: the Runtime API (`/2018-06-01`), a pull contract.
//!
//! The loop: `RuntimeStart` → register the shutdown extension →
//! `FunctionStart` → (`Freeze` → `next` → pipeline → `response`/`error` →
//! `AfterResponse`)* → SIGTERM → `Close`. With `AWS_LAMBDA_MAX_CONCURRENCY`
//! (Lambda Managed Instances) that many workers loop at once, each on its
//! own connection.

mod client;
mod error_body;
mod event;
mod extension;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use runtime_engine::Pipeline;
use runtime_engine::{
    BoxError, CancellationToken, Error, FunctionInfo, Invocation, InvocationError, Lifecycle,
    Outcome, Platform,
};
use tower::Service;

use crate::pull_client::{PostStatus, RetryPolicy};
use crate::Environment;
use client::RuntimeApi;

/// The variable that names the Runtime API's `host:port`.
pub const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

/// Whether the environment is a Lambda custom runtime.
pub fn is_detected(env: &Environment) -> bool {
    env.contains(RUNTIME_API_VAR)
}

/// The function's facts from Lambda's environment variables.
pub fn function_info(env: &Environment) -> FunctionInfo {
    let var = |name: &str| env.get(name);
    FunctionInfo::new(
        Platform::AwsLambda,
        var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "function".into()),
    )
    .with_version(var("AWS_LAMBDA_FUNCTION_VERSION").unwrap_or_else(|| "$LATEST".into()))
    .with_memory_mb(var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").and_then(|m| m.parse().ok()))
    .with_region(var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")))
    .with_max_concurrency(
        var("AWS_LAMBDA_MAX_CONCURRENCY")
            .and_then(|m| m.parse().ok())
            .unwrap_or(1),
    )
    .with_log_names(
        var("AWS_LAMBDA_LOG_GROUP_NAME"),
        var("AWS_LAMBDA_LOG_STREAM_NAME"),
    )
}

/// Serves invocations from the Runtime API until `shutdown` fires.
///
/// `service` is the whole pipeline (layers around the hook service around
/// the handler). Returns an error, after reporting it to `/init/error`, if
/// init fails, and an error naming `AWS_LAMBDA_RUNTIME_API` if the API stays
/// unreachable.
pub async fn run<S>(
    lifecycle: Arc<Lifecycle>,
    service: S,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error>
where
    S: Pipeline,
{
    let endpoint: Arc<str> = env
        .get(RUNTIME_API_VAR)
        .ok_or_else(|| Error::config(format!("{RUNTIME_API_VAR} is not set")))?
        .into();
    let mut api = RuntimeApi::new(endpoint.clone(), RetryPolicy::default());

    if let Err(error) = lifecycle.runtime_start() {
        return Err(report_init_error(&mut api, error).await);
    }
    extension::register(endpoint.clone()).await;
    if let Err(error) = lifecycle.function_start().await {
        return Err(report_init_error(&mut api, error).await);
    }

    let workers = lifecycle.function().max_concurrency;
    let idle_since_freeze = Arc::new(AtomicBool::new(true));
    let result = if workers <= 1 {
        worker(&lifecycle, api, service, &shutdown, &idle_since_freeze).await
    } else {
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn({
            let (lifecycle, service, shutdown, idle) = (
                lifecycle.clone(),
                service.clone(),
                shutdown.clone(),
                idle_since_freeze.clone(),
            );
            async move { worker(&lifecycle, api, service, &shutdown, &idle).await }
        });
        for _ in 1..workers {
            let api = RuntimeApi::new(endpoint.clone(), RetryPolicy::default());
            let (lifecycle, service, shutdown, idle) = (
                lifecycle.clone(),
                service.clone(),
                shutdown.clone(),
                idle_since_freeze.clone(),
            );
            tasks.spawn(async move { worker(&lifecycle, api, service, &shutdown, &idle).await });
        }
        let mut first_error = Ok(());
        while let Some(joined) = tasks.join_next().await {
            let result =
                joined.unwrap_or_else(|e| Err(Error::platform(format!("worker failed: {e}"))));
            if let Err(error) = result {
                // One worker cannot reach the API: stop the others too.
                shutdown.cancel();
                if first_error.is_ok() {
                    first_error = Err(error);
                }
            }
        }
        first_error
    };
    lifecycle.close().await;
    result
}

/// One `next` → pipeline → answer loop.
async fn worker<S>(
    lifecycle: &Lifecycle,
    mut api: RuntimeApi,
    mut service: S,
    shutdown: &CancellationToken,
    dirty: &AtomicBool,
) -> Result<(), Error>
where
    S: Service<Invocation, Response = Outcome>,
    S::Error: Into<BoxError>,
{
    let single = lifecycle.function().max_concurrency <= 1;
    // Whether we set `_X_AMZN_TRACE_ID`, so that it is removed when an
    // invocation has no trace, without reading the environment every time.
    let mut trace_variable_set = false;
    loop {
        // Freeze once per idle period, not once per worker.
        if dirty.swap(false, Ordering::AcqRel) {
            lifecycle.freeze().await;
        }
        if shutdown.is_cancelled() {
            return Ok(());
        }
        // `next` is polled first so an event already received is never
        // dropped in favour of shutdown.
        let response = tokio::select! {
            biased;
            response = api.next() => response?,
            () = shutdown.cancelled() => return Ok(()),
        };
        let invocation = match event::invocation(lifecycle, response) {
            Ok(invocation) => invocation,
            Err(event::EventError::NoRequestId) => {
                tracing::error!("the Runtime API sent an event without Lambda-Runtime-Aws-Request-Id; it cannot be answered");
                continue;
            }
            Err(event::EventError::BadHeader {
                request_id,
                message,
            }) => {
                let body = error_body::encode("Runtime.MalformedInvocation", &message);
                let status = api
                    .report_error(&request_id, "Runtime.MalformedInvocation", &body)
                    .await?;
                log_refusal(&request_id, &status);
                dirty.store(true, Ordering::Release);
                continue;
            }
        };
        let context = invocation.context.clone();
        if single {
            trace_variable_set = set_trace_variable(context.trace_header(), trace_variable_set);
        }
        let outcome = runtime_engine::pipeline::answer(&mut service, invocation).await;
        let request_id = context.request_id();
        match &outcome {
            Outcome::Response(response) => {
                let status = api
                    .respond(request_id, response.content_type(), response.body())
                    .await?;
                log_refusal(request_id, &status);
                if let PostStatus::Rejected(413, _) = status {
                    let error = InvocationError::runtime(
                        "Function.ResponseSizeTooLarge",
                        format!(
                            "the response of {} bytes is larger than Lambda's 6 MB limit",
                            response.body().len()
                        ),
                    );
                    let body = error_body::for_invocation(&error);
                    let status = api
                        .report_error(request_id, "Function.ResponseSizeTooLarge", &body)
                        .await?;
                    log_refusal(request_id, &status);
                }
            }
            Outcome::Error(error) => {
                let body = error_body::for_invocation(error);
                let header = error_body::header_type(error.error_type());
                let status = api.report_error(request_id, &header, &body).await?;
                log_refusal(request_id, &status);
            }
        }
        lifecycle.after_response(&context, &outcome).await;
        dirty.store(true, Ordering::Release);
    }
}

/// Sets `_X_AMZN_TRACE_ID` for the current invocation, as Lambda's docs ask
/// of a runtime: AWS SDKs read it to propagate the trace (aws-sdk-rust's
/// recursion detection). Only with one invocation in flight: a process-wide
/// variable cannot belong to several concurrent invocations, so managed
/// instances leave it alone and rely on `Context::trace`.
fn set_trace_variable(header: Option<&str>, was_set: bool) -> bool {
    const NAME: &str = "_X_AMZN_TRACE_ID";
    match header {
        Some(value) => {
            std::env::set_var(NAME, value);
            true
        }
        None => {
            if was_set {
                std::env::remove_var(NAME);
            }
            false
        }
    }
}

/// A refused answer is logged: the invocation already has, or can no
/// longer get, an answer. (An unreachable API is fatal and returned as `Err`.)
fn log_refusal(request_id: &str, status: &PostStatus) {
    if let PostStatus::Rejected(code, body) = status {
        tracing::warn!(
            request_id,
            "the Runtime API refused the answer with status {code}: {body}"
        );
    }
}

/// Reports an init failure to `/init/error` and returns it.
async fn report_init_error(api: &mut RuntimeApi, error: Error) -> Error {
    let body = error_body::encode("Runtime.InitError", &error.to_string());
    if let Err(post_error) = api.report_init_error("Runtime.InitError", &body).await {
        tracing::error!("could not report the init error: {post_error}");
    }
    error
}
