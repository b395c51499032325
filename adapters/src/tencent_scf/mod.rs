//! Tencent Cloud SCF custom runtime (reference section 3), in two modes.
//!
//! **Event functions** pull: `RuntimeStart` → `FunctionStart` →
//! `POST /runtime/init/ready` → the pull loop (`crate::pull_loop`) →
//! SIGTERM → `Close`. Paths carry no request id, so one invocation runs at
//! a time.
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
//!
//! # Layout
//! - `runtime_api`: the runtime API's calls, and the pull loop's view of them.
//! - `event`: a `next` response into an [`Invocation`](runtime_engine::Invocation).

mod event;
mod runtime_api;

use std::sync::Arc;

use runtime_engine::{CancellationToken, Environment, Error, FunctionInfo, Lifecycle, Platform};

use crate::adapter::{Adapter, RunFuture};
use crate::function_info::CurrentFunctionInfo;
use crate::http::server::HttpOptions;
use crate::pipeline::BoxPipeline;
use runtime_api::ScfRuntimeApi;

pub use runtime_api::{API_HOST_VAR, API_PORT_VAR};

/// The port web functions must listen on.
pub const WEB_PORT: u16 = 9000;

/// How SCF web functions differ from plain HTTP.
const WEB_FUNCTIONS: HttpOptions = HttpOptions {
    port_vars: &["LIGHT_RUNTIME_PORT"],
    default_port: WEB_PORT,
    request_id_header: "x-scf-request-id",
    id_prefix: "scf-web",
    cloudevents: false,
};

/// Whether this is a web function (no runtime API to pull from).
pub fn is_web_function(env: &Environment) -> bool {
    !env.contains(API_HOST_VAR)
}

/// The Tencent Cloud SCF adapter: event functions and web functions.
#[derive(Debug, Clone, Copy, Default)]
pub struct TencentScf;

impl Adapter for TencentScf {
    /// The function's facts from SCF's environment variables.
    fn function_info(&self, env: &Environment) -> FunctionInfo {
        let var = |name: &str| env.get(name);
        let info = FunctionInfo::new(
            Platform::TencentScf,
            var("SCF_FUNCTIONNAME").unwrap_or_else(|| "function".into()),
        )
        .with_version(var("SCF_FUNCTIONVERSION").unwrap_or_else(|| "$LATEST".into()))
        .with_region(var("TENCENTCLOUD_REGION"))
        .with_account_id(var("TENCENTCLOUD_UIN"));
        if is_web_function(env) {
            // A web function is an HTTP server frozen between requests
            // without a call to say so.
            info.with_max_concurrency(usize::MAX)
                .with_freezes_with_notice(false)
        } else {
            info
        }
    }

    /// Pulls events from the runtime API, or, for a web function, serves
    /// HTTP on `0.0.0.0:9000` (`LIGHT_RUNTIME_PORT` overrides the port).
    fn run<'a>(
        &'a self,
        lifecycle: Arc<Lifecycle>,
        pipeline: BoxPipeline,
        shutdown: CancellationToken,
        env: &'a Environment,
    ) -> RunFuture<'a> {
        if is_web_function(env) {
            return Box::pin(crate::http::serve_http(
                lifecycle,
                pipeline,
                shutdown,
                env,
                WEB_FUNCTIONS,
            ));
        }
        Box::pin(pull_events(lifecycle, pipeline, shutdown, env))
    }
}

/// Event functions: init, `init/ready`, then the pull loop.
async fn pull_events(
    lifecycle: Arc<Lifecycle>,
    pipeline: BoxPipeline,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error> {
    let host = env.get(API_HOST_VAR);
    let port = env.get(API_PORT_VAR);
    let (Some(host), Some(port)) = (host, port) else {
        return Err(Error::config(format!(
            "{API_HOST_VAR} and {API_PORT_VAR} must both be set for an SCF event function"
        )));
    };
    let function = CurrentFunctionInfo::new(lifecycle.function().clone());
    let retry = crate::pull_loop::retry_policy(env);
    let mut api = ScfRuntimeApi::new(&host, &port, function, retry);
    lifecycle.runtime_start()?;
    lifecycle.function_start().await?;
    api.ready(&shutdown).await?;
    crate::pull_loop::run(&lifecycle, pipeline, &shutdown, vec![api]).await
}
