//! A hook plugin that implements every phase and does nothing: the
//! benchmark's measure of what crossing the plugin boundary costs.
//!
//! # Layout
//! - [`Noop`]: the hook; every method is the trait's default.
//!
//! # Example
//! ```toml
//! # light-runtime.toml
//! [[plugins]]
//! path = "/opt/light-runtime/plugins/libnoop.so"
//! ```

use light_runtime_plugin_sdk::{export_plugin, Hook};

/// Does nothing at every phase; the export macro still wires every phase,
/// so each call crosses the boundary.
#[derive(Debug, Default)]
pub struct Noop;

impl Hook for Noop {}

export_plugin!(name = "noop", hook = Noop);
