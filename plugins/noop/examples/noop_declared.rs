//! The benchmark's second fixture: a no-op plugin that declares the only
//! phases it would implement, `BeforeInvoke` and `AfterInvoke`, so the
//! runtime neither calls nor times it in the others. Built as
//! `libnoop_declared.so` by
//! `cargo build -p light-runtime-plugin-noop --example noop_declared`.

use light_runtime_plugin_sdk::{export_plugin, Hook};

/// Does nothing in the two phases it declares.
#[derive(Debug, Default)]
pub struct NoopDeclared;

impl Hook for NoopDeclared {}

export_plugin!(
    name = "noop-declared",
    hook = NoopDeclared,
    phases = [BeforeInvoke, AfterInvoke]
);
