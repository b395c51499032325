//! Hook plugins, the host side: [`Hook`](crate::Hook)s compiled into shared
//! libraries and loaded at start, so a platform team can ship lifecycle
//! hooks (as a cloud layer) that every function picks up without a code
//! change.
//!
//! A plugin exports one C-ABI symbol returning a versioned table of function
//! pointers, one per phase ([`abi`]); [`load`] checks the file and the table
//! and wraps it in a [`PluginHook`], which the lifecycle runs like any other
//! hook. The plugin side (the glue that turns C calls into a `Hook`'s, and
//! the export macros) is the `light-runtime-plugin-sdk` crate, built on
//! [`abi`]; plugins in C include `light_runtime_plugin.h`. See
//! `docs/plugin-abi.md` and `docs/writing-a-hook-plugin.md`.
//!
//! This is the engine's one module with `unsafe` code: calling into a
//! library that the compiler cannot check. Every `unsafe` block says why it
//! holds in a `// SAFETY:` comment.
//!
//! # Layout
//! - [`abi`]: the `#[repr(C)]` types, codes and constants both sides agree
//!   on; the one definition the host and the SDK share.
//! - `loader`: [`load`], the checks before a library is trusted, and
//!   [`PluginError`], why a plugin was refused.
//! - `hook`: [`PluginHook`], the host side of each phase: engine values to
//!   C views, the call, and what came back applied.
//! - `host_views`: the C views of an invocation the host lends a plugin.
//! - `handed_back`: where a plugin's `Output` callbacks write.
//!
//! # Example
//! ```no_run
//! use std::path::Path;
//! use runtime_engine::plugin;
//!
//! let audit = plugin::load(Path::new("/opt/light-runtime/plugins/libaudit.so"), "")?;
//! println!("loaded plugin `{}`", runtime_engine::Hook::name(&audit));
//! # Ok::<(), runtime_engine::PluginError>(())
//! ```

#[allow(unsafe_code)]
pub mod abi;
#[allow(unsafe_code)]
mod handed_back;
#[allow(unsafe_code)]
mod hook;
mod host_views;
#[allow(unsafe_code)]
mod loader;

pub use hook::PluginHook;
pub use loader::{load, load_table, PluginError};
