//! The `light-runtime` command: the tools around a function, kept out of the
//! library a function links, so a function compiles neither clap nor zip.
//!
//! # Layout
//! - [`package`]: the cloud-layer zip (`light-runtime package --platform
//!   aws|fc|scf --mode plugins|proxy|web`): hook plugins, their config file
//!   and a bootstrap, or this command with the scripts that start it in
//!   proxy or web mode, laid out as the platform mounts layers.
//! - [`proxy`]: `light-runtime proxy -- CMD`: a Lambda Runtime API on
//!   127.0.0.1 for a function in any language, each invocation forwarded to
//!   and from the detected platform through the lifecycle (its own
//!   `# Layout` lists the server, queue, supervisor and service; guide:
//!   `docs/proxy.md`).
//! - [`web`]: `light-runtime web --port N -- CMD`: an existing HTTP server
//!   behind the lifecycle, gateway events turned into requests to it,
//!   other events POSTed to it, websockets passed through on push
//!   platforms, the app restarted when it exits (`docs/web.md`).
//! - [`emulate`]: `light-runtime emulate --platform P -- BOOTSTRAP`: any
//!   bootstrap run as the platform runs it, behind an invoke endpoint; the
//!   [`Emulation`](emulate::Emulation) session others run functions through
//!   (`docs/emulate.md`).
//! - [`invoke`]: `light-runtime invoke`: one event to a running function.
//! - [`watch`]: `light-runtime watch`: build, emulate, rebuild and swap the
//!   bootstrap on a source change, the endpoint kept up (`docs/watch.md`).
//! - [`replay`]: `light-runtime replay FILE`: a captured invocation again.
//! - [`relay`]: `light-runtime relay --listen ADDR`: cloud invocations
//!   handled on the developer's machine.
//! - [`child`]: the function's process: started in its own process group,
//!   watched, stopped with a grace period, never left behind.
//! - `duration_arg`: durations in options (`10s`, `1500ms`, a number of seconds).
//! - `main.rs`: the command line and its subcommands.
//!
//! # Example
//! ```no_run
//! use light_runtime_cli::package::{write_layer, LayerSpec, Mode};
//! use light_runtime::engine::Platform;
//!
//! let mut spec = LayerSpec::new(Platform::AwsLambda, Mode::Proxy);
//! spec.runtime = Some("target/release/light-runtime".into());
//! let summary = write_layer(&spec, std::path::Path::new("layer.zip")).unwrap();
//! println!("{:?}", summary.entries);
//! ```

pub mod child;
mod duration_arg;
pub mod emulate;
pub mod invoke;
pub mod package;
pub mod proxy;
pub mod relay;
pub mod replay;
pub mod watch;
pub mod web;
