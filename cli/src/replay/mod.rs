//! `light-runtime replay FILE [--platform P] [--expect reproduced|fixed]
//! [-- BOOTSTRAP [ARGS]]`: a captured invocation (`docs/capture-format.md`)
//! run again against a local build under the platform's emulator, with the
//! same event and context (the deadline shifted to now: the same time
//! left), and a verdict: did the outcome reproduce?
//!
//! Exit status: 0 when the verdict is what `--expect` asks (by default
//! `reproduced`, so a bug report's capture exits 0 while the bug is there;
//! `--expect fixed` exits 0 once a fix makes it succeed), 1 otherwise, and
//! 1 with a message when the file cannot be read or replayed.
//!
//! # Layout
//! - `mod.rs`: the options and [`run`].
//! - `capture_file`: reading and validating the file; the event's bytes.
//! - `emulated`: the invocation under the platform's emulator, through
//!   the `emulate` session API.
//! - [`verdict`]: comparing the replayed outcome with the captured one.

mod capture_file;
mod emulated;
pub mod verdict;

use std::ffi::OsString;
use std::path::PathBuf;

use crate::emulate::EmulatedPlatform;
use verdict::{Expect, Verdict};

/// The `replay` subcommand's options.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The capture file (`light-runtime-capture/1`).
    pub file: PathBuf,
    /// The platform to replay on (aws, fc, scf, scf-web, http); by default
    /// the one the capture came from.
    #[arg(long)]
    pub platform: Option<String>,
    /// Which verdict exits 0: `reproduced` (the default: the captured
    /// failure happens again) or `fixed` (the invocation now succeeds).
    #[arg(long, value_enum, default_value_t = Expect::Reproduced)]
    pub expect: Expect,
    /// The build to run: the bootstrap and its arguments.
    #[arg(last = true, value_name = "BOOTSTRAP")]
    pub command: Vec<OsString>,
}

/// Replays one capture and prints the verdict.
pub fn run(args: ReplayArgs) -> Result<(), String> {
    let scene = capture_file::read(&args.file)?;
    let platform = args
        .platform
        .clone()
        .unwrap_or_else(|| scene.runtime.platform.clone());
    let platform: EmulatedPlatform = platform.parse().map_err(|e| {
        format!(
            "{e}; the capture came from `{}`: choose one with --platform",
            scene.runtime.platform
        )
    })?;
    if args.command.is_empty() {
        return Err("name the build to replay against after `--`, for example \
                    `light-runtime replay capture.json -- ./target/debug/my-function`"
            .into());
    }
    let event =
        capture_file::event_bytes(&scene).map_err(|e| format!("{}: {e}", args.file.display()))?;
    if !scene.redacted.is_empty() {
        println!(
            "replay: {} value(s) were redacted at capture and are replayed as their placeholders:",
            scene.redacted.len()
        );
        for pointer in &scene.redacted {
            println!("replay:   {pointer}");
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let replayed = runtime.block_on(emulated::replay(&scene, event, platform, &args.command))?;
    let verdict = Verdict::of(scene.error.as_ref(), &replayed);
    println!(
        "replay: captured: {}",
        verdict::describe_captured(scene.error.as_ref())
    );
    println!("replay: replayed: {}", replayed.describe());
    println!("replay: verdict: {}", verdict.describe());
    if verdict.meets(args.expect) {
        Ok(())
    } else {
        Err(format!(
            "the outcome is `{}`, not the expected `{}`",
            verdict.name(),
            args.expect.name()
        ))
    }
}
