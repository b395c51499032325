//! `light-runtime relay --listen ADDR -- BOOTSTRAP`: real cloud invocations
//! handled by a local build.
//!
//! # Layout
//! - `mod.rs`: the options and [`run`].

/// The `relay` subcommand's options.
#[derive(Debug, clap::Args)]
pub struct RelayArgs {
    /// The address to listen on.
    #[arg(long)]
    pub listen: std::net::SocketAddr,
}

/// Relays until interrupted.
pub fn run(_args: RelayArgs) -> Result<(), String> {
    Err("relay is being built (issue 15)".into())
}
