//! `light-runtime proxy -- CMD [ARGS...]`: a function written for the AWS
//! Lambda Runtime API, in any language, served on every platform with the
//! whole lifecycle around it.

use std::ffi::OsString;

/// The `proxy` subcommand's options; each is also an environment variable,
/// so a layer's wrapper can set them.
#[derive(Debug, clap::Args)]
pub struct ProxyArgs {
    /// The function's command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// Runs the proxy until the platform shuts it down.
pub fn run(args: ProxyArgs) -> Result<(), String> {
    let _ = args;
    Err("proxy mode is not built yet".into())
}
