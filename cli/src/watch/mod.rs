//! `light-runtime watch [--platform P] [--port N] [--bin NAME] [-- CARGO ARGS]`:
//! build the function with cargo, run it under `emulate`, and on a change
//! to its sources rebuild it and swap in the new build while the invoke
//! endpoint stays up (guide: `docs/watch.md`).
//!
//! While a rebuild runs, invocations are held ([`Emulation::pause`]), so a
//! request sent after a save is answered by the new build; when the build
//! fails its errors are shown and the old build serves them.
//!
//! # Layout
//! - `mod.rs`: the options ([`WatchArgs`]) and [`run`].
//! - [`build`](mod@build): one `cargo build`, and the executable it produced.
//! - [`sources`]: the package's folder watched, debounced, `target/` ignored.

pub mod build;
pub mod sources;

use std::time::{Duration, Instant};

use crate::duration_arg;
use crate::emulate::{EmulatedPlatform, Emulation, EmulationSpec};
use build::{build, Built};
use sources::Sources;

/// The `watch` subcommand's options.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The platform to emulate: aws, fc, scf, scf-web or http.
    #[arg(long, default_value = "aws")]
    pub platform: String,
    /// The invoke endpoint's port on 127.0.0.1 (0: any free port, printed).
    #[arg(long, default_value_t = 9000)]
    pub port: u16,
    /// The binary to build and run, when the package has several.
    #[arg(long)]
    pub bin: Option<String>,
    /// The function's name.
    #[arg(long, default_value = "function")]
    pub function: String,
    /// The function timeout; default: the platform console's.
    #[arg(long, value_parser = duration_arg::parse)]
    pub timeout: Option<Duration>,
    /// A variable for the function, NAME=VALUE; repeat for several.
    #[arg(long = "env", value_name = "NAME=VALUE", value_parser = crate::emulate::spec::parse_env)]
    pub env: Vec<(String, String)>,
    /// More `cargo build` arguments (`-p NAME`, `--example NAME`,
    /// `--features F`, `--release`).
    #[arg(last = true, value_name = "CARGO ARGS")]
    pub cargo_args: Vec<String>,
}

/// Builds, serves and rebuilds until Ctrl-C or SIGTERM.
pub fn run(args: WatchArgs) -> Result<(), String> {
    let platform: EmulatedPlatform = args.platform.parse()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    runtime.block_on(async {
        tokio::select! {
            result = watch(platform, &args) => result,
            stopped = crate::emulate::until_stopped() => stopped,
        }
    })
}

async fn watch(platform: EmulatedPlatform, args: &WatchArgs) -> Result<(), String> {
    let bin = args.bin.as_deref();
    say("building");
    // Until a first build succeeds there is nothing to serve: wait for a fix.
    let mut first = build(bin, &args.cargo_args).await;
    let mut sources = None;
    let built = loop {
        match first {
            Ok(built) => break built,
            Err(error) => {
                say(&format!("{error}; waiting for a change"));
                let dir = std::env::current_dir()
                    .map_err(|error| format!("cannot read the current folder: {error}"))?;
                let watched = sources.get_or_insert(Sources::watch(&dir)?);
                if watched.changed().await.is_none() {
                    return Err("the source watch ended".into());
                }
                say("building");
                first = build(bin, &args.cargo_args).await;
            }
        }
    };
    say(&format!(
        "built {} in {:.1} s; watching {}",
        built.executable.display(),
        built.took.as_secs_f64(),
        built.package_dir.display()
    ));
    let mut sources = Sources::watch(&built.package_dir)?;
    let mut spec = EmulationSpec::new(platform, vec![built.executable.clone().into_os_string()]);
    spec.port = args.port;
    spec.function = args.function.clone();
    if let Some(timeout) = args.timeout {
        spec.timeout = timeout;
    }
    spec.env = args.env.clone();
    let emulation = Emulation::start(spec).await?;
    let mut current: Built = built;
    loop {
        let changed = tokio::select! {
            changed = sources.changed() => changed,
            stopped = crate::emulate::until_stopped() => {
                emulation.shutdown().await;
                return stopped;
            }
        };
        let Some(changed) = changed else {
            emulation.shutdown().await;
            return Err("the source watch ended".into());
        };
        let saved = Instant::now();
        // Invocations from now on wait for the outcome of this build.
        let paused = emulation.pause().await?;
        say(&format!(
            "{} changed: rebuilding (invocations wait)",
            changed.display()
        ));
        match build(bin, &args.cargo_args).await {
            Ok(built) => {
                paused
                    .replace_bootstrap(vec![built.executable.clone().into_os_string()])
                    .await?;
                say(&format!(
                    "rebuilt in {:.1} s; the new build serves from now on ({:.1} s since the change)",
                    built.took.as_secs_f64(),
                    saved.elapsed().as_secs_f64()
                ));
                current = built;
            }
            Err(error) => {
                drop(paused);
                say(&format!(
                    "{error}; still serving the last good build ({})",
                    current.executable.display()
                ));
            }
        }
    }
}

/// A line about the watch, on stdout beside emulate's reports.
fn say(text: &str) {
    println!("[watch] {text}");
}
