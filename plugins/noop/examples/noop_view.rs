//! The benchmark's third fixture: the no-op written against the SDK's
//! borrowed API ([`ViewHook`]), every phase exported, so each
//! per-invocation phase crosses the boundary and calls the hook with the
//! host's views. Built as `libnoop_view.so` by
//! `cargo build -p light-runtime-plugin-noop --example noop_view`.

use light_runtime_plugin_sdk::{export_view_plugin, ViewHook};

/// Does nothing at every phase; every phase is still exported.
#[derive(Debug, Default)]
pub struct NoopView;

impl ViewHook for NoopView {}

export_view_plugin!(name = "noop-view", hook = NoopView);
