//! Hook plugins: [`Hook`](crate::Hook)s compiled into shared libraries and
//! loaded at start, so a platform team can ship lifecycle hooks (as a cloud
//! layer) that every function picks up without a code change.
//!
//! A plugin exports one C-ABI symbol returning a versioned table of function
//! pointers, one per phase ([`abi`]); [`load`] checks the file and the table
//! and wraps it in a [`PluginHook`], which the lifecycle runs like any other
//! hook. Plugins written in Rust implement `Hook` and call
//! `light_runtime_plugin_sdk::export_plugin!`, whose glue lives in
//! [`export`]; plugins in C include `light_runtime_plugin.h`. See
//! `docs/plugin-abi.md` and `docs/writing-a-hook-plugin.md`.
//!
//! This is the engine's one module with `unsafe` code: calling into a
//! library that the compiler cannot check. Every `unsafe` block says why it
//! holds in a `// SAFETY:` comment.
//!
//! # Layout
//! - [`abi`]: the `#[repr(C)]` types and constants both sides agree on.
//! - `loader`: [`load`], the checks before a library is trusted, and
//!   [`PluginError`], why a plugin was refused.
//! - `hook`: [`PluginHook`], the host side: engine values to C views and back.
//! - [`export`]: the plugin side, for the SDK's macro: C calls to a `Hook`,
//!   with panics caught at the boundary; `guest` holds the plugin side's
//!   instance state and conversions.
//! - [`view`]: [`ViewHook`](view::ViewHook), the plugin side's borrowed
//!   API: the host's views for the call, no copies; `export_view` is its
//!   glue.
//! - `views`: codes and views shared by both sides; `raw`: borrowed bytes
//!   from raw pointers.
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

pub mod abi;
#[allow(unsafe_code)]
pub mod export;
#[allow(unsafe_code)]
mod export_view;
#[allow(unsafe_code)]
mod guest;
#[allow(unsafe_code)]
mod hook;
#[allow(unsafe_code)]
mod loader;
#[allow(unsafe_code)]
mod raw;
#[allow(unsafe_code)]
pub mod view;
mod views;

pub use hook::PluginHook;
pub use loader::{load, PluginError};
