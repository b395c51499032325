//! Preload: initialisers registered on the builder run concurrently at
//! `FunctionStart`, each with its own timeout, and their values reach
//! handlers through the context.
//!
//! Each resource lives in a `once_cell` cell of its own type, filled once
//! at `FunctionStart`; a handler reads it with [`get`] (or through the
//! [`Resource`] handle returned by [`Preload::register`]). An initialiser
//! that fails, panics or overruns its timeout fails init with an error that
//! names it; each one's duration appears in the `FunctionStart` timings as
//! the step `preload:<name>`.
//!
//! ```
//! use std::time::Duration;
//! use light_runtime_layers::preload::{self, Preload};
//!
//! #[derive(Debug)]
//! struct Config(String);
//!
//! let preload = Preload::new().resource("config", Duration::from_secs(2), || async {
//!     Ok::<_, std::io::Error>(Config("loaded".into()))
//! });
//! // In a handler: `let config = preload::get::<Config>(&ctx).expect("preloaded");`
//! # let _ = preload;
//! ```
//!
//! # Layout
//! - `layer`: [`Preload`], where initialisers are registered.
//! - `registry`: the registered initialisers and their cells, [`Resource`]
//!   and [`get`].
//! - `hook`: the `FunctionStart` hook that runs the initialisers.
//! - `service`: [`PreloadService`], which hands the resources to each invocation.

mod hook;
mod layer;
mod registry;
mod service;

pub use layer::Preload;
pub use registry::{get, Resource};
pub use service::PreloadService;
