//! `light-runtime web [--port N] -- CMD [ARGS...]`: an existing HTTP server,
//! in any language, served on every platform with the whole lifecycle
//! around each request.

use std::ffi::OsString;

/// The `web` subcommand's options; each is also an environment variable,
/// so a layer's bootstrap can set them.
#[derive(Debug, clap::Args)]
pub struct WebArgs {
    /// The app's command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// Runs the app behind the runtime until the platform shuts it down.
pub fn run(args: WebArgs) -> Result<(), String> {
    let _ = args;
    Err("web mode is not built yet".into())
}
