//! `light-runtime replay FILE [-- BOOTSTRAP]`: a captured invocation run
//! again under the platform's emulator.
//!
//! # Layout
//! - `mod.rs`: the options and [`run`].

/// The `replay` subcommand's options.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The capture file.
    pub file: std::path::PathBuf,
}

/// Replays one capture.
pub fn run(_args: ReplayArgs) -> Result<(), String> {
    Err("replay is being built (issue 15)".into())
}
