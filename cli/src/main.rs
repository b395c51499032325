//! The `light-runtime` command line; each subcommand's work is a module of
//! the `light_runtime_cli` library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use light_runtime::plugins::PluginEntry;
use light_runtime_cli::package::{write_layer, LayerSpec, Layout};

/// light-runtime: serverless lifecycle runtime tooling.
#[derive(Debug, Parser)]
#[command(name = "light-runtime", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes a cloud-layer zip with hook plugins and their config file.
    Package {
        /// The platform whose layer layout to use: aws, fc or scf.
        #[arg(long)]
        platform: String,
        /// A plugin file (`.so`) to include, without settings; repeat for
        /// several. They run in the order given, after the template's.
        #[arg(long = "plugin", value_name = "FILE")]
        plugins: Vec<PathBuf>,
        /// A `light-runtime.toml` template: its `[[plugins]]` name local
        /// files (relative to the template) and carry their `config`.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// A prebuilt bootstrap to include.
        #[arg(long, value_name = "FILE")]
        bootstrap: Option<PathBuf>,
        /// Where to write the zip.
        #[arg(
            long,
            short,
            value_name = "FILE",
            default_value = "light-runtime-layer.zip"
        )]
        output: PathBuf,
    },
    /// Serves a function written for the AWS Lambda Runtime API (any
    /// language: awslambdaric, lambda_runtime, a Node.js or Java client) on
    /// every platform, with hooks, plugins and layers around each invocation.
    Proxy(light_runtime_cli::proxy::ProxyArgs),
    /// Serves an existing HTTP server (any language or framework) on every
    /// platform, each request an invocation with hooks, plugins and layers.
    Web(light_runtime_cli::web::WebArgs),
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
        Command::Package {
            platform,
            plugins,
            config,
            bootstrap,
            output,
        } => package(platform, plugins, config, bootstrap, output),
        Command::Proxy(args) => light_runtime_cli::proxy::run(args),
        Command::Web(args) => light_runtime_cli::web::run(args),
    }
}

fn package(
    platform: String,
    plugins: Vec<PathBuf>,
    config: Option<PathBuf>,
    bootstrap: Option<PathBuf>,
    output: PathBuf,
) -> Result<(), String> {
    let platform = light_runtime::platform::parse(&platform).map_err(|e| e.to_string())?;
    let mut spec = match &config {
        Some(template) => LayerSpec::from_template(platform, template)?,
        None => LayerSpec {
            platform,
            plugins: Vec::new(),
            bootstrap: None,
        },
    };
    spec.plugins.extend(plugins.iter().map(|path| PluginEntry {
        path: path.display().to_string(),
        config: None,
    }));
    spec.bootstrap = bootstrap;
    let summary = write_layer(&spec, &output)?;
    let mount = Layout::of(platform).map_or("/opt", |l| l.mount);
    println!(
        "wrote {} for {platform} (extracted to {mount}):",
        output.display()
    );
    for entry in summary.entries {
        println!("  {mount}/{entry}");
    }
    Ok(())
}
