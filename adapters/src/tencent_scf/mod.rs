//! Tencent Cloud SCF custom runtime (reference section 3), in two modes.
//!
//! **Event functions** pull: `RuntimeStart` → `FunctionStart` →
//! `POST /runtime/init/ready` → (`Freeze` → `GET next` → pipeline →
//! `POST response` or `POST error` → `AfterResponse`)* → SIGTERM → `Close`.
//! Paths carry no request id, so one invocation runs at a time.
//!
//! **Web functions** push: `scf_bootstrap` starts an HTTP server on
//! `0.0.0.0:9000`, served by the [`http`](crate::http) adapter's server;
//! every request is an HTTP invocation, its id from `x-scf-request-id` when
//! the platform sends it (request side unconfirmed).
//!
//! The mode: event functions have `SCF_RUNTIME_API`; without it but with
//! `TENCENTCLOUD_RUNENV=SCF` the process is a web function (how the
//! platform tells them apart is not documented, so this is inferred).
//!
//! Unconfirmed, so handled tolerantly: there is no documented init-error
//! endpoint (a failed init is logged and the process exits non-zero, which
//! SCF reports as `ContainerStateExited`); no shutdown signal is documented
//! (SIGTERM, if it comes, runs `Close`); a `next` without `request_id`
//! still runs, under a local id.

mod api;
mod event;

use std::sync::Arc;

use runtime_engine::Pipeline;
use runtime_engine::{
    BoxError, CancellationToken, Error, FunctionInfo, Invocation, InvocationError, Lifecycle,
    Outcome, Platform,
};
use tower::Service;

use crate::pull_client::PostStatus;
use crate::request_facts::FunctionFacts;
use crate::Environment;
use api::ScfApi;

/// The runtime API's host (no port).
pub const API_HOST_VAR: &str = "SCF_RUNTIME_API";
/// The runtime API's port.
pub const API_PORT_VAR: &str = "SCF_RUNTIME_API_PORT";
/// The port web functions must listen on.
pub const WEB_PORT: u16 = 9000;

/// Whether the environment is SCF: `SCF_RUNTIME_API` (event functions) or
/// `TENCENTCLOUD_RUNENV=SCF` (every SCF function).
pub fn is_detected(env: &Environment) -> bool {
    env.contains(API_HOST_VAR) || env.get("TENCENTCLOUD_RUNENV").as_deref() == Some("SCF")
}

/// Whether this is a web function (no runtime API to pull from).
pub fn is_web_function(env: &Environment) -> bool {
    !env.contains(API_HOST_VAR)
}

/// The function's facts from SCF's environment variables.
pub fn function_info(env: &Environment) -> FunctionInfo {
    let var = |name: &str| env.get(name);
    let info = FunctionInfo::new(
        Platform::TencentScf,
        var("SCF_FUNCTIONNAME").unwrap_or_else(|| "function".into()),
    )
    .with_version(var("SCF_FUNCTIONVERSION").unwrap_or_else(|| "$LATEST".into()))
    .with_region(var("TENCENTCLOUD_REGION"))
    .with_account_id(var("TENCENTCLOUD_UIN"));
    if is_web_function(env) {
        info.with_max_concurrency(usize::MAX)
    } else {
        info
    }
}

/// Serves SCF: pulls events from the runtime API, or, for a web function,
/// serves HTTP on `0.0.0.0:9000` (`LIGHT_RUNTIME_PORT` overrides the port).
pub async fn run<S>(
    lifecycle: Arc<Lifecycle>,
    service: S,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error>
where
    S: Pipeline,
{
    if is_web_function(env) {
        let options = crate::http::Options {
            port_vars: &["LIGHT_RUNTIME_PORT"],
            default_port: WEB_PORT,
            request_id_header: "x-scf-request-id",
            id_prefix: "scf-web",
            cloudevents: false,
        };
        return crate::http::run_with(lifecycle, service, shutdown, env, options).await;
    }
    let host = env.get(API_HOST_VAR);
    let port = env.get(API_PORT_VAR);
    let (Some(host), Some(port)) = (host, port) else {
        return Err(Error::config(format!(
            "{API_HOST_VAR} and {API_PORT_VAR} must both be set for an SCF event function"
        )));
    };
    let mut api = ScfApi::new(&host, &port);
    lifecycle.runtime_start()?;
    lifecycle.function_start().await?;
    api.ready().await?;
    let result = pull_loop(&lifecycle, api, service, &shutdown).await;
    lifecycle.close().await;
    result
}

async fn pull_loop<S>(
    lifecycle: &Arc<Lifecycle>,
    mut api: ScfApi,
    mut service: S,
    shutdown: &CancellationToken,
) -> Result<(), Error>
where
    S: Service<Invocation, Response = Outcome>,
    S::Error: Into<BoxError>,
{
    let facts = FunctionFacts::new(lifecycle.function().clone());
    let mut dirty = true;
    loop {
        if std::mem::take(&mut dirty) {
            lifecycle.freeze().await;
        }
        // `next` first: an event already received is never dropped for shutdown.
        let response = tokio::select! {
            biased;
            response = api.next() => response?,
            () = shutdown.cancelled() => return Ok(()),
        };
        dirty = true;
        let invocation = match event::invocation(lifecycle, &facts, response) {
            Ok(invocation) => invocation,
            Err((request_id, message)) => {
                let error = InvocationError::runtime("Runtime.MalformedInvocation", message);
                let status = api.report_error(&error_json(&error, &request_id)).await?;
                log_refusal(&request_id, &status);
                continue;
            }
        };
        let context = invocation.context.clone();
        let outcome = runtime_engine::pipeline::answer(&mut service, invocation).await;
        let status = match &outcome {
            Outcome::Response(response) => {
                api.respond(response.content_type(), response.body())
                    .await?
            }
            Outcome::Error(error) => {
                api.report_error(&error_json(error, context.request_id()))
                    .await?
            }
        };
        log_refusal(context.request_id(), &status);
        lifecycle.after_response(&context, &outcome).await;
    }
}

/// `{"errorType","errorMessage","requestId"}`: SCF takes any error text.
fn error_json(error: &InvocationError, request_id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "errorType": error.error_type(),
        "errorMessage": error.message(),
        "requestId": request_id,
    }))
    .unwrap_or_default()
}

/// The first result is final on SCF: a refused post is logged, not retried.
fn log_refusal(request_id: &str, status: &PostStatus) {
    if let PostStatus::Rejected(code, body) = status {
        tracing::warn!(
            request_id,
            "the SCF runtime API refused the answer with status {code}: {body}"
        );
    }
}
