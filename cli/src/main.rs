//! The `light-runtime` command line; each subcommand's work is a module of
//! the `light_runtime_cli` library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use light_runtime::plugins::PluginEntry;
use light_runtime_cli::package::{write_layer, LayerSpec, Mode};

/// light-runtime: serverless lifecycle runtime tooling.
#[derive(Debug, Parser)]
#[command(name = "light-runtime", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes a cloud-layer zip with hook plugins and their config file, and
    /// either a prebuilt bootstrap or this command with start scripts for
    /// proxy or web mode.
    Package(PackageArgs),
    /// Serves a function written for the AWS Lambda Runtime API (any
    /// language: awslambdaric, lambda_runtime, a Node.js or Java client) on
    /// every platform, with hooks, plugins and layers around each invocation.
    Proxy(light_runtime_cli::proxy::ProxyArgs),
    /// Serves an existing HTTP server (any language or framework) on every
    /// platform, each request an invocation with hooks, plugins and layers.
    Web(light_runtime_cli::web::WebArgs),
    /// Runs any bootstrap as a platform would (environment, init, freeze,
    /// deadlines, limits), behind an invoke endpoint on 127.0.0.1.
    Emulate(light_runtime_cli::emulate::EmulateArgs),
    /// Sends one event to a running emulated or local function and prints
    /// the answer.
    Invoke(light_runtime_cli::invoke::InvokeArgs),
    /// Builds the function, runs it under `emulate`, and rebuilds and
    /// restarts it on every source change.
    Watch(light_runtime_cli::watch::WatchArgs),
    /// Runs a captured invocation again under the platform's emulator.
    Replay(light_runtime_cli::replay::ReplayArgs),
    /// Handles real cloud invocations with a local build.
    Relay(light_runtime_cli::relay::RelayArgs),
}

#[derive(Debug, Args)]
struct PackageArgs {
    /// The platform whose layer layout to use: aws, fc or scf.
    #[arg(long)]
    platform: String,
    /// What the layer starts: `plugins` (functions built on light-runtime,
    /// with --bootstrap), `proxy` (any function written for the Lambda
    /// Runtime API) or `web` (an HTTP server app).
    #[arg(long, value_enum, default_value_t = Mode::Plugins)]
    mode: Mode,
    /// A plugin file (`.so`) to include, without settings; repeat for
    /// several. They run in the order given, after the template's.
    #[arg(long = "plugin", value_name = "FILE")]
    plugins: Vec<PathBuf>,
    /// A `light-runtime.toml` template: its `[[plugins]]` name local
    /// files (relative to the template) and carry their `config`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// A prebuilt bootstrap to include (plugins mode).
    #[arg(long, value_name = "FILE")]
    bootstrap: Option<PathBuf>,
    /// The light-runtime command to include (proxy and web modes), built
    /// for the platform's OS and architecture; default: this command.
    #[arg(long, value_name = "FILE")]
    runtime: Option<PathBuf>,
    /// Where to write the zip.
    #[arg(
        long,
        short,
        value_name = "FILE",
        default_value = "light-runtime-layer.zip"
    )]
    output: PathBuf,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("light-runtime: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Package(args) => package(args),
        Command::Proxy(args) => light_runtime_cli::proxy::run(args),
        Command::Web(args) => light_runtime_cli::web::run(args),
        Command::Emulate(args) => light_runtime_cli::emulate::run(args),
        Command::Invoke(args) => light_runtime_cli::invoke::run(args),
        Command::Watch(args) => light_runtime_cli::watch::run(args),
        Command::Replay(args) => light_runtime_cli::replay::run(args),
        Command::Relay(args) => light_runtime_cli::relay::run(args),
    }
}

fn package(args: PackageArgs) -> Result<(), String> {
    let platform = light_runtime::platform::parse(&args.platform).map_err(|e| e.to_string())?;
    let mut spec = match &args.config {
        Some(template) => LayerSpec::from_template(platform, args.mode, template)?,
        None => LayerSpec::new(platform, args.mode),
    };
    spec.plugins
        .extend(args.plugins.iter().map(|path| PluginEntry {
            path: path.display().to_string(),
            config: None,
        }));
    spec.bootstrap = args.bootstrap;
    spec.runtime = match args.runtime {
        Some(runtime) => Some(runtime),
        None if args.mode == Mode::Plugins => None,
        // The command packaging the layer is the one the layer runs, unless
        // told otherwise (say, a build for another architecture).
        None => Some(std::env::current_exe().map_err(|e| {
            format!("cannot find this light-runtime command to include ({e}); pass --runtime FILE")
        })?),
    };
    let summary = write_layer(&spec, &args.output)?;
    let mount = summary.layout.mount;
    println!(
        "wrote {} for {platform} in {} mode (extracted to {mount}):",
        args.output.display(),
        args.mode
    );
    for entry in &summary.entries {
        println!("  {mount}/{entry}");
    }
    for script in summary.layout.scripts {
        println!("{mount}/{}: {}", script.path, script.wiring);
    }
    for warning in &summary.warnings {
        eprintln!("light-runtime: warning: {warning}");
    }
    Ok(())
}
