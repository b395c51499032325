//! The `light-runtime` command: the tools around a function, kept out of the
//! library a function links, so a function compiles neither clap nor zip.
//!
//! # Layout
//! - [`package`]: the cloud-layer zip (`light-runtime package --platform
//!   aws|fc|scf`): hook plugins, their config file and a bootstrap, laid out
//!   as the platform mounts layers.
//! - `main.rs`: the command line and its subcommands.
//!
//! # Example
//! ```no_run
//! use light_runtime_cli::package::{write_layer, LayerSpec};
//! use light_runtime::engine::Platform;
//!
//! let spec = LayerSpec { platform: Platform::AwsLambda, plugins: Vec::new(), bootstrap: None };
//! let summary = write_layer(&spec, std::path::Path::new("layer.zip")).unwrap();
//! println!("{:?}", summary.entries);
//! ```

pub mod package;
