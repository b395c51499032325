//! `light-runtime watch`: build with cargo, run under `emulate`, rebuild
//! and restart on a source change.
//!
//! # Layout
//! - `mod.rs`: the options and [`run`].

/// The `watch` subcommand's options.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The invoke endpoint's port on 127.0.0.1.
    #[arg(long, default_value_t = 9000)]
    pub port: u16,
}

/// Watches until interrupted.
pub fn run(_args: WatchArgs) -> Result<(), String> {
    Err("watch is being built (issue 15)".into())
}
