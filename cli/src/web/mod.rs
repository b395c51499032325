//! `light-runtime web [--port N] [--readiness PATH] -- CMD [ARGS...]`: an
//! existing HTTP server, in any language, served on every platform with
//! the whole lifecycle around each request.
//!
//! Web mode is itself a light-runtime function: a tower HTTP service
//! (`forward`) behind the library's HTTP handler, which already turns
//! every gateway event into a request and the response back into the
//! event's shape, and passes pushed HTTP through. So hooks, plugins and
//! layers see each request as an invocation. See `docs/web.md`.
//!
//! # Layout
//! - this file: [`WebArgs`], the settings they make, and [`run`].
//! - `app`: the app's process: launched before the runtime is built and awaited at `FunctionStart`, watched,
//!   restarted when it exits, stopped at `Close`.
//! - `readiness`: when the app is ready (an HTTP probe or a TCP connect).
//! - `forward`: the service that sends each request to the app.
//! - `answers`: the answers web mode gives in the app's place (`502`,
//!   `503`), and the hop-by-hop headers kept out of every answer.
//! - `event_request`: a non-HTTP event as `POST /events`, and the
//!   invocation's context as headers on every request.
//! - `response_limit`: the platform's response size limit, as a clear error.
//! - `websocket`: an upgrade passed through to the app and spliced.

mod answers;
mod app;
mod event_request;
mod forward;
mod readiness;
mod response_limit;
mod websocket;

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use light_runtime::{Budgets, Environment, Platform, Runtime};

use crate::child::ChildCommand;
use app::App;
use forward::Forward;
use readiness::Probe;

/// The app's port when neither `--port` nor `LIGHT_RUNTIME_WEB_PORT` is
/// given (the Web Adapter's too).
pub const DEFAULT_PORT: u16 = 8080;

/// The `web` subcommand's options; each is also an environment variable,
/// so a layer's bootstrap can set them.
#[derive(Debug, clap::Args)]
pub struct WebArgs {
    /// The port the app listens on (127.0.0.1), also given to it as `PORT`.
    /// Default 8080, or 8081 when the platform has the runtime itself
    /// listen on 8080 (Knative, Cloud Run).
    #[arg(long, env = "LIGHT_RUNTIME_WEB_PORT", value_name = "PORT")]
    pub port: Option<u16>,
    /// The path of an HTTP readiness probe (`/health`): the app is ready
    /// when it answers with a status below 500. Without it, when its port
    /// accepts a TCP connection.
    #[arg(long, env = "LIGHT_RUNTIME_WEB_READINESS", value_name = "PATH")]
    pub readiness: Option<String>,
    /// Where events that are not HTTP requests (queues, storage,
    /// schedules) are POSTed, with the invocation's context in headers.
    #[arg(
        long,
        env = "LIGHT_RUNTIME_WEB_EVENTS_PATH",
        value_name = "PATH",
        default_value = "/events"
    )]
    pub events_path: String,
    /// Answers the platform's init in time even when the app is not ready
    /// yet, and keeps waiting for it on the first request (slow apps).
    #[arg(
        long,
        env = "LIGHT_RUNTIME_WEB_ASYNC_INIT",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::SetTrue
    )]
    pub async_init: bool,
    /// How long init waits for the app to be ready (e.g. `9s`, `500ms`;
    /// default: the 10 s init budget less 500 ms to report a failure).
    #[arg(
        long,
        env = "LIGHT_RUNTIME_WEB_READY_TIMEOUT",
        value_name = "DURATION",
        value_parser = crate::duration_arg::parse
    )]
    pub ready_timeout: Option<Duration>,
    /// The app's command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// What `init` keeps back of the init budget to report a failure in time.
const INIT_MARGIN: Duration = Duration::from_millis(500);

/// How long the app has after SIGTERM at `Close` before it is killed:
/// most of the close budget, so `End` still runs within the platform's
/// grace.
const STOP_MARGIN: Duration = Duration::from_millis(100);

/// Everything web mode needs to know, read once from the options and the
/// environment.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Where the app listens.
    pub(crate) app: SocketAddr,
    /// `--events-path`, where non-HTTP events are POSTed.
    pub(crate) events_path: http::uri::PathAndQuery,
    /// How long init waits for the app, and a request for an app that
    /// exited to be ready again.
    pub(crate) ready_timeout: Duration,
    /// The largest response body the platform takes whole, if it has a limit.
    pub(crate) response_limit: Option<response_limit::Limit>,
}

/// Runs the app behind the runtime until the platform shuts it down.
pub fn run(args: WebArgs) -> Result<(), String> {
    let env = Environment::process();
    let platform = light_runtime::platform::detect(&env).map_err(|e| e.to_string())?;
    let port = app_port(args.port, runtime_listen_port(platform, &env))?;
    let events_path = event_request::events_path(&args.events_path)?;
    let budgets = Budgets::default();
    let ready_timeout = args
        .ready_timeout
        .unwrap_or_else(|| budgets.function_start.saturating_sub(INIT_MARGIN));
    // A longer wait than the default budget was asked for: the platform's
    // own init limit still applies, the engine's must not cut it shorter.
    let budgets = budgets
        .clone()
        .with_function_start(budgets.function_start.max(ready_timeout + INIT_MARGIN));
    let grace = budgets.close.saturating_sub(STOP_MARGIN);
    let settings = Settings {
        app: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        events_path,
        ready_timeout,
        response_limit: response_limit::Limit::of(platform, &env),
    };
    let probe = match args.readiness {
        Some(path) if !path.starts_with('/') => {
            return Err(format!(
                "--readiness (LIGHT_RUNTIME_WEB_READINESS) must be a path starting with `/`, \
                 got {path:?}"
            ))
        }
        Some(path) => Probe::Http(path),
        None => Probe::Tcp,
    };
    let command = app_command(&args.command, port)?;
    let async_init = args.async_init;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let app = App::new(command, settings.app, probe);
        // A command that cannot start is reported at FunctionStart, as the
        // platform's init error.
        let launched = app.launch();
        let (starting, stopping) = (app.clone(), app.clone());
        Runtime::builder()
            .with_budgets(budgets)
            .on_function_start(move || async move {
                launched?;
                starting.ready(ready_timeout, async_init).await
            })
            .on_close(move || async move {
                stopping.stop(grace).await;
                Ok::<(), std::convert::Infallible>(())
            })
            .run(Forward::new(app, settings))
            .await
            .map_err(|error| error.to_string())
    })
}

/// The app's command: `PORT` set to its port, and without what would make
/// a light-runtime function (or a Lambda runtime client) inside it talk to
/// the platform itself: the platform's runtime API and ports, and the
/// plugins and layers, which web mode runs already (an empty plugin list
/// also keeps it from finding `light-runtime.toml` in the code or layer
/// folder). A light-runtime function as the app serves plain HTTP on `$PORT`.
fn app_command(argv: &[OsString], port: u16) -> Result<ChildCommand, String> {
    const TAKEN: &[&str] = &[
        "AWS_LAMBDA_RUNTIME_API",
        "SCF_RUNTIME_API",
        "SCF_RUNTIME_API_PORT",
        "FC_CUSTOM_LISTEN_PORT",
        "FC_SERVER_PORT",
        "LIGHT_RUNTIME_PORT",
    ];
    let mut command = ChildCommand::new(argv)?
        .env("PORT", port.to_string())
        .env("LIGHT_RUNTIME_PLATFORM", "http")
        .without_runtime_config();
    for name in TAKEN {
        command = command.env_remove(*name);
    }
    Ok(command)
}

/// The port the runtime itself listens on, on push platforms (the
/// adapters' own variables and defaults); `None` on pull platforms.
fn runtime_listen_port(platform: Platform, env: &Environment) -> Option<u16> {
    let (vars, default): (&[&str], u16) = match platform {
        Platform::AliyunFc => (&["FC_CUSTOM_LISTEN_PORT", "FC_SERVER_PORT"], 9000),
        Platform::TencentScf if env.get("SCF_RUNTIME_API").is_none() => {
            (&["LIGHT_RUNTIME_PORT"], 9000)
        }
        Platform::Http => (&["PORT"], 8080),
        Platform::Local => (&["PORT"], 9000),
        _ => return None,
    };
    let set = vars.iter().find_map(|var| env.get(var));
    // A port that does not parse is the adapter's error to report.
    Some(set.and_then(|text| text.parse().ok()).unwrap_or(default))
}

/// The app's port: the one asked for, which must not be the runtime's
/// own; else 8080, or 8081 when the runtime listens on 8080.
fn app_port(asked: Option<u16>, runtime: Option<u16>) -> Result<u16, String> {
    match (asked, runtime) {
        (Some(port), Some(taken)) if port == taken => Err(format!(
            "the app's port {port} (--port, LIGHT_RUNTIME_WEB_PORT) is the port the platform \
             has light-runtime listen on; give the app another one"
        )),
        (Some(0), _) => Err("the app's port (--port, LIGHT_RUNTIME_WEB_PORT) cannot be 0".into()),
        (Some(port), _) => Ok(port),
        (None, Some(DEFAULT_PORT)) => Ok(DEFAULT_PORT + 1),
        (None, _) => Ok(DEFAULT_PORT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_port_never_collides_with_the_runtime_listen_port() {
        let knative = Environment::from_vars([("K_SERVICE", "orders"), ("PORT", "8080")]);
        let listen = runtime_listen_port(Platform::Http, &knative);
        assert_eq!(listen, Some(8080));
        assert_eq!(app_port(None, listen), Ok(8081));
        let error = app_port(Some(8080), listen).unwrap_err();
        assert!(error.contains("port 8080"), "{error}");

        let fc = Environment::from_vars([("FC_CUSTOM_LISTEN_PORT", "9000")]);
        assert_eq!(runtime_listen_port(Platform::AliyunFc, &fc), Some(9000));
        assert_eq!(app_port(None, Some(9000)), Ok(8080));

        let lambda = Environment::from_vars([("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")]);
        assert_eq!(runtime_listen_port(Platform::AwsLambda, &lambda), None);
        let scf_events = Environment::from_vars([("SCF_RUNTIME_API", "127.0.0.1")]);
        assert_eq!(runtime_listen_port(Platform::TencentScf, &scf_events), None);
        assert_eq!(app_port(Some(3000), None), Ok(3000));
        assert!(app_port(Some(0), None).is_err());
    }
}
