//! AWS Lambda: the Runtime API (`/2018-06-01`), a pull contract.
//!
//! `RuntimeStart` → register the shutdown extension → `FunctionStart` →
//! (with SnapStart: `Snapshot` → `restore/next` → `Restore`) → the pull
//! loop (`crate::pull_loop`) → SIGTERM → `Close`. With
//! `AWS_LAMBDA_MAX_CONCURRENCY` (Lambda Managed Instances) that many loops
//! run at once, each on its own connection.
//!
//! # Layout
//! - `address`: `AWS_LAMBDA_RUNTIME_API` as Lambda (`host:port`) and
//!   cargo-lambda (`http://host:port/base`) set it.
//! - `runtime_api`: the Runtime API's calls, and the pull loop's view of them.
//! - `request_id`: which request ids go into a path as they are, and the
//!   percent-encoding of the others.
//! - `event`: a `next` response into an [`Invocation`](runtime_engine::Invocation).
//! - `error_body`: the Runtime API's error JSON and type header.
//! - `streaming`: a streamed response's head (content type, the HTTP
//!   prelude), size limit and error trailers.
//! - `extension`: the internal extension that makes Lambda send SIGTERM.
//! - `snapstart`: the `Snapshot` and `Restore` phases around SnapStart's
//!   `restore/next`, and where their failures are reported.

mod address;
mod error_body;
mod event;
mod extension;
mod request_id;
mod runtime_api;
mod snapstart;
mod streaming;

use std::sync::Arc;

use runtime_engine::{
    CancellationToken, Environment, Error, FunctionInfo, Initialization, Lifecycle, Platform,
};

use crate::adapter::{Adapter, RunFuture};
use crate::pipeline::BoxPipeline;
use address::RuntimeApiAddress;
use runtime_api::LambdaRuntimeApi;

pub use runtime_api::RUNTIME_API_VAR;

/// The AWS Lambda adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct AwsLambda;

impl Adapter for AwsLambda {
    /// The function's facts from Lambda's environment variables.
    fn function_info(&self, env: &Environment) -> FunctionInfo {
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
        .with_initialization(initialization(var(Initialization::LAMBDA_VARIABLE)))
    }

    /// Serves invocations from the Runtime API until `shutdown` fires.
    /// Returns an error, after reporting it to `/init/error`, if init
    /// fails, and an error naming `AWS_LAMBDA_RUNTIME_API` if the API stays
    /// unreachable.
    fn run<'a>(
        &'a self,
        lifecycle: Arc<Lifecycle>,
        pipeline: BoxPipeline,
        shutdown: CancellationToken,
        env: &'a Environment,
    ) -> RunFuture<'a> {
        Box::pin(run(lifecycle, pipeline, shutdown, env))
    }
}

/// How Lambda made this instance; on-demand when it does not say. A value
/// this version does not know is kept as `Unrecognised`, with a warning:
/// the function still runs, as on demand.
fn initialization(value: Option<String>) -> Initialization {
    let Some(value) = value else {
        return Initialization::OnDemand;
    };
    let read = Initialization::from_lambda(&value);
    if read == Initialization::Unrecognised {
        crate::pull_loop::platform_warning(&format!(
            "{}={value:?} is not a value this runtime knows (on-demand, \
             provisioned-concurrency, snap-start, lambda-managed-instances); \
             running as on demand, without SnapStart's restore hooks",
            Initialization::LAMBDA_VARIABLE
        ));
    }
    read
}

async fn run(
    lifecycle: Arc<Lifecycle>,
    pipeline: BoxPipeline,
    shutdown: CancellationToken,
    env: &Environment,
) -> Result<(), Error> {
    let value = env
        .get(RUNTIME_API_VAR)
        .ok_or_else(|| Error::config(format!("{RUNTIME_API_VAR} is not set")))?;
    let endpoint = RuntimeApiAddress::parse(&value).map_err(Error::config)?;
    let loops = lifecycle.function().max_concurrency.max(1);
    let retry = crate::pull_loop::retry_policy(env);
    let mut first = LambdaRuntimeApi::new(&endpoint, loops == 1, retry.clone());

    if let Err(error) = lifecycle.runtime_start() {
        return Err(first.report_init_error(error, &shutdown).await);
    }
    // Registered while FunctionStart runs (a web app starting, a model
    // loading) rather than before it: init takes the longer of the two,
    // not their sum. In sequence, the register round trip came after the
    // app was already listening in 4 of 6 cold starts of web mode
    // (`web-vs-adapter`), a quarter of a millisecond each. Both end before
    // the first `next`, as Lambda wants extensions registered during init.
    let (_registered, started) = tokio::join!(
        extension::register(&endpoint, retry.call_timeout, &shutdown),
        lifecycle.function_start(),
    );
    if let Err(error) = started {
        return Err(first.report_init_error(error, &shutdown).await);
    }
    if lifecycle.function().initialization == Initialization::SnapStart {
        snapstart::snapshot_and_restore(&lifecycle, &mut first, &shutdown).await?;
    }

    let mut apis = vec![first];
    apis.extend((1..loops).map(|_| LambdaRuntimeApi::new(&endpoint, false, retry.clone())));
    crate::pull_loop::run(&lifecycle, pipeline, &shutdown, apis).await
}
