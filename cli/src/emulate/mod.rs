//! `light-runtime emulate --platform aws|fc|scf|scf-web|http -- BOOTSTRAP`:
//! any bootstrap run exactly as that platform would, behind an invoke
//! endpoint on 127.0.0.1 (`docs/design/invoke-endpoint.md`).
//!
//! # Layout
//! - `mod.rs`: the options and [`run`].

/// The `emulate` subcommand's options.
#[derive(Debug, clap::Args)]
pub struct EmulateArgs {
    /// The platform to emulate: aws, fc, scf, scf-web or http.
    #[arg(long)]
    pub platform: String,
    /// The invoke endpoint's port on 127.0.0.1.
    #[arg(long, default_value_t = 9000)]
    pub port: u16,
    /// The bootstrap and its arguments.
    #[arg(last = true, required = true, value_name = "BOOTSTRAP")]
    pub command: Vec<std::ffi::OsString>,
}

/// Runs `emulate` until interrupted.
pub fn run(_args: EmulateArgs) -> Result<(), String> {
    Err("emulate is being built (issue 15)".into())
}
