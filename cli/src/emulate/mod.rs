//! `light-runtime emulate --platform aws|fc|scf|scf-web|http -- BOOTSTRAP`:
//! any bootstrap run exactly as that platform would, behind an invoke
//! endpoint on 127.0.0.1 (`docs/design/invoke-endpoint.md`; guide:
//! `docs/emulate.md`).
//!
//! The library API is [`Emulation`]: `start(spec)`, `invoke(event,
//! options) -> Outcome`, `replace_bootstrap(command)`, `shutdown()`;
//! `watch`, `replay` and `relay` run functions through it.
//!
//! # Layout
//! - `mod.rs`: the command's options ([`EmulateArgs`]) and [`run`].
//! - [`spec`]: [`EmulatedPlatform`] and [`EmulationSpec`], what is emulated.
//! - [`session`]: [`Emulation`], the session: admission, cold starts,
//!   freeze between invocations, idle kill, bootstrap replacement.
//! - `instance`: one instance: the process, the platform emulator it talks
//!   to, init within the budget, SIGSTOP/SIGCONT, the platform's shutdown.
//! - `invocation`: one invocation delivered as the platform delivers it.
//! - `platform_env`: each platform's environment variables.
//! - `logs`: the function's stdout and stderr, attributed to invocations.
//! - [`breach`]: [`Breach`]es of the platform's contract, found in what the
//!   emulators recorded.
//! - [`outcome`]: [`InvokeOptions`] in, [`Outcome`] out.
//! - `endpoint`: the invoke endpoint's HTTP server.
//! - `function_url`: HTTP requests as Function URL events on AWS.
//! - `report`: what is printed per invocation.

pub mod breach;
mod endpoint;
mod function_url;
mod instance;
mod invocation;
mod logs;
pub mod outcome;
mod platform_env;
mod report;
pub mod session;
pub mod spec;

pub use breach::{Breach, BreachKind};
pub use outcome::{FunctionError, HttpAnswer, InvokeOptions, Outcome, Timings};
pub use session::{Emulation, Paused};
pub use spec::{EmulatedPlatform, EmulationSpec};

use std::ffi::OsString;
use std::time::Duration;

use crate::duration_arg;

/// The `emulate` subcommand's options.
#[derive(Debug, clap::Args)]
pub struct EmulateArgs {
    /// The platform to emulate: aws, fc, scf, scf-web or http.
    #[arg(long)]
    pub platform: String,
    /// The invoke endpoint's port on 127.0.0.1 (0: any free port, printed).
    #[arg(long, default_value_t = 9000)]
    pub port: u16,
    /// The function's name.
    #[arg(long, default_value = "function")]
    pub function: String,
    /// The memory size in MB the function is told.
    #[arg(long, default_value_t = 128)]
    pub memory: u32,
    /// The function timeout (`3s`, `1500ms`); default: the platform
    /// console's (aws and scf 3s, fc 60s, http 300s).
    #[arg(long, value_parser = duration_arg::parse)]
    pub timeout: Option<Duration>,
    /// The init budget; default: the platform's (aws 10s, fc 120s, scf 60s,
    /// http and scf-web 240s).
    #[arg(long, value_parser = duration_arg::parse)]
    pub init_timeout: Option<Duration>,
    /// Concurrent requests one instance takes (fc and http only).
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Kill the instance after this long idle; the next invocation starts
    /// a new one.
    #[arg(long, value_parser = duration_arg::parse)]
    pub idle_kill: Option<Duration>,
    /// The port the function's server listens on (fc, scf-web, http);
    /// default: a free one, told to it by the platform's variable.
    #[arg(long)]
    pub function_port: Option<u16>,
    /// A variable for the function, NAME=VALUE; repeat for several.
    #[arg(long = "env", value_name = "NAME=VALUE", value_parser = spec::parse_env)]
    pub env: Vec<(String, String)>,
    /// The bootstrap and its arguments.
    #[arg(last = true, required = true, value_name = "BOOTSTRAP")]
    pub command: Vec<OsString>,
}

impl EmulateArgs {
    /// The session's spec from the options.
    pub fn spec(&self) -> Result<EmulationSpec, String> {
        let platform: EmulatedPlatform = self.platform.parse()?;
        let mut spec = EmulationSpec::new(platform, self.command.clone());
        spec.port = self.port;
        spec.function = self.function.clone();
        spec.memory_mb = self.memory;
        if let Some(timeout) = self.timeout {
            spec.timeout = timeout;
        }
        if let Some(init_timeout) = self.init_timeout {
            spec.init_timeout = init_timeout;
        }
        spec.concurrency = self.concurrency;
        spec.idle_kill = self.idle_kill;
        spec.function_port = self.function_port;
        spec.env = self.env.clone();
        Ok(spec)
    }
}

/// Runs `emulate` until Ctrl-C or SIGTERM, then stops the function as the
/// platform would.
pub fn run(args: EmulateArgs) -> Result<(), String> {
    let spec = args.spec()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    runtime.block_on(async {
        let emulation = Emulation::start(spec).await?;
        until_stopped().await?;
        emulation.shutdown().await;
        Ok(())
    })
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub(crate) async fn until_stopped() -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|error| format!("cannot watch for SIGTERM: {error}"))?;
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|error| format!("cannot watch for SIGINT: {error}"))?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    Ok(())
}
