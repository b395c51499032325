//! `light-runtime proxy -- CMD [ARGS...]`: a function written for the AWS
//! Lambda Runtime API, in any language, served on every platform with the
//! whole lifecycle around it.
//!
//! The proxy is itself a light-runtime function: the detected platform's
//! adapter, the hooks, plugins (`LIGHT_RUNTIME_PLUGINS`,
//! `light-runtime.toml`) and layers (`LIGHT_RUNTIME_LAYERS`) run as for a
//! Rust function, and its handler hands each invocation to CMD, which is
//! started with `AWS_LAMBDA_RUNTIME_API` pointing at a Runtime API on
//! 127.0.0.1. See `docs/proxy.md` and `docs/design/proxy.md`.
//!
//! # Layout
//! - `mod.rs`: the options and [`run`].
//! - `runtime_api`: the Runtime API server the child talks to.
//! - `streamed`: a streamed `/response`, forwarded chunk by chunk.
//! - `error_body`: error reports from the child and the API's refusals.
//! - `extensions`: the Extensions API's register and SHUTDOWN.
//! - `queue`: invocations waiting for `next`, held by the child, answered.
//! - `supervisor`: the child started, initialised, reset and stopped.
//! - `child_env`: the Lambda environment the child is given.
//! - `next_headers`: a `next` response's headers from the platform's context.
//! - [`http_events`]: HTTP invocations as API Gateway events and back.
//! - `service`: the handler, a `tower::Service` over the queue.
//! - `lifecycle_hook`: the child at `FunctionStart` and `Close`.

mod child_env;
mod error_body;
mod extensions;
pub mod http_events;
mod lifecycle_hook;
mod next_headers;
mod queue;
mod runtime_api;
mod service;
mod streamed;
mod supervisor;

use std::ffi::OsString;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use light_runtime::{Budgets, Runtime};

use crate::child::ChildCommand;
use extensions::Extensions;
use http_events::HttpEvents;
use lifecycle_hook::ChildLifecycle;
use queue::Queue;
use runtime_api::RuntimeApi;
use service::ProxyService;
use supervisor::Supervisor;

/// The `proxy` subcommand's options; each is also an environment variable,
/// so a layer's wrapper can set them.
#[derive(Debug, clap::Args)]
pub struct ProxyArgs {
    /// How long the function's process may take from its start to its
    /// first `next` (e.g. `10s`, `1500ms`, `2m`); on AWS, on-demand init
    /// has 10 s.
    #[arg(
        long,
        env = "LIGHT_RUNTIME_PROXY_INIT_TIMEOUT",
        value_name = "DURATION",
        default_value = "10s",
        value_parser = crate::duration_arg::parse
    )]
    pub init_timeout: Duration,

    /// At shutdown (SIGTERM, FC's /pre-stop), how long the function's
    /// process has after SIGTERM before it is killed.
    #[arg(
        long,
        env = "LIGHT_RUNTIME_PROXY_SHUTDOWN_GRACE",
        value_name = "DURATION",
        default_value = "300ms",
        value_parser = crate::duration_arg::parse
    )]
    pub shutdown_grace: Duration,

    /// How many invocations the function's process is told it may run at
    /// once (`AWS_LAMBDA_MAX_CONCURRENCY`); unset, it inherits the
    /// platform's.
    #[arg(long, env = "LIGHT_RUNTIME_PROXY_CONCURRENCY", value_name = "N")]
    pub concurrency: Option<usize>,

    /// How HTTP invocations (FC's HTTP trigger, plain HTTP, SCF web
    /// functions) reach the function: `auto` sends API Gateway HTTP API
    /// events except for a JSON or CloudEvent body on plain HTTP and
    /// anything on the local server, which go as the event itself.
    #[arg(
        long,
        env = "LIGHT_RUNTIME_PROXY_HTTP_EVENTS",
        value_enum,
        default_value = "auto"
    )]
    pub http_events: HttpEvents,

    /// The function's command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// What the handler, the hook and the Runtime API share.
#[derive(Debug)]
pub(crate) struct Proxy {
    queue: Arc<Queue>,
    supervisor: Supervisor,
    api: Arc<RuntimeApi>,
    /// Where the child finds the Runtime API.
    address: SocketAddr,
    /// The command as given, before its Lambda environment.
    command: ChildCommand,
    concurrency: Option<usize>,
    http_events: HttpEvents,
    grace: Duration,
}

/// Runs the proxy until the platform shuts it down.
pub fn run(args: ProxyArgs) -> Result<(), String> {
    let command = ChildCommand::new(&args.command)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the proxy's event loop: {error}"))?;
    // Served from a spawned task, not as `block_on`'s own future: woken,
    // that future cost the scheduler an extra non-blocking `epoll_wait`
    // per invocation (strace over 2000 awslambdaric invocations: 1742
    // `epoll_wait(.., 0)` and 4.3 `epoll_wait` per invocation; from a task:
    // none and 3.2).
    runtime.block_on(async {
        tokio::spawn(serve(args, command))
            .await
            .unwrap_or_else(|error| Err(format!("the proxy stopped: {error}")))
    })
}

async fn serve(args: ProxyArgs, command: ChildCommand) -> Result<(), String> {
    let (listener, address) = runtime_api::bind()
        .await
        .map_err(|error| format!("cannot listen on 127.0.0.1 for the function: {error}"))?;
    let queue = Arc::new(Queue::new());
    let api = Arc::new(RuntimeApi {
        queue: queue.clone(),
        extensions: Extensions::new(args.shutdown_grace),
    });
    tokio::spawn(runtime_api::serve(listener, api.clone()));
    let proxy = Arc::new(Proxy {
        supervisor: Supervisor::new(api.clone(), args.init_timeout),
        queue,
        api,
        address,
        command,
        concurrency: args.concurrency,
        http_events: args.http_events,
        grace: args.shutdown_grace,
    });
    // The engine's own limits leave room for the proxy's, whose errors
    // say what the child did.
    let defaults = Budgets::default();
    let budgets = defaults
        .clone()
        .with_function_start(args.init_timeout + Duration::from_secs(1))
        .with_close(
            defaults
                .close
                .max(args.shutdown_grace + Duration::from_millis(200)),
        );
    Runtime::builder()
        .with_budgets(budgets)
        .hook(ChildLifecycle {
            proxy: proxy.clone(),
        })
        .run(ProxyService::new(proxy))
        .await
        .map_err(|error| error.to_string())
}
