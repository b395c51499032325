//! `light-runtime invoke`: one event sent to a running emulated or local
//! function (`docs/design/invoke-endpoint.md`), its answer printed.
//!
//! # Layout
//! - `mod.rs`: the options and [`run`].

/// The `invoke` subcommand's options.
#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The invoke endpoint's port on 127.0.0.1.
    #[arg(long, default_value_t = 9000)]
    pub port: u16,
}

/// Sends one event and prints the answer.
pub fn run(_args: InvokeArgs) -> Result<(), String> {
    Err("invoke is being built (issue 15)".into())
}
