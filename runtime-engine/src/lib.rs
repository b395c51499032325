//! The lifecycle core of light-runtime: a function's life as eleven phases,
//! hooks that run at each, and the one invocation pipeline every platform
//! adapter drives.
//!
//! It knows no cloud, no HTTP client and no telemetry backend; everything
//! else in light-runtime builds on it.
//!
//! # Layout
//! - [`phase`]: the eleven [`Phase`]s in lifecycle order (`Snapshot` and
//!   `Restore` only where the platform snapshots instances).
//! - [`hook`]: the [`Hook`] trait, [`HookFuture`], [`Flow`] and [`Ending`].
//! - `phase_runner`: the one runner every phase's hooks go through: their
//!   order, timing, budget, panic capture and failure handling.
//! - [`lifecycle`]: [`Lifecycle`], what adapters call at each phase; it
//!   owns the hooks and hands each phase to the runner.
//! - [`service`]: [`HookService`], `BeforeInvoke` → `Invoke` →
//!   `AfterInvoke` around a handler; `invoke` runs the handler with
//!   deadline, cancellation and panic capture.
//! - [`pipeline`]: [`Pipeline`], the bound every adapter's service meets,
//!   and [`pipeline::answer`], the one way an adapter gets its [`Outcome`].
//! - [`invocation`]: [`Invocation`] in, [`Outcome`] ([`Response`] or
//!   [`InvocationError`]) out.
//! - [`streaming`]: streamed responses: the take-once body of
//!   [`Response::stream`] and [`ResponseStream`], which adapters send chunk
//!   by chunk and which runs `AfterInvoke` when it ends.
//! - [`context`]: the platform-neutral [`Context`], its builder and its
//!   [`ContextParts`]; with
//!   [`deadline`], [`trace`], [`identity`], [`headers`], [`function`] and
//!   [`initialization`] for the facts it carries.
//! - [`environment`]: [`Environment`], the variables the runtime reads its
//!   configuration from (the process's, or an explicit set).
//! - [`restores`](mod@restores): how many times the process was restored
//!   from a snapshot, so its parts re-make connections and seeds.
//! - [`timings`]: per-phase, per-hook timings ([`TimingsReport`]).
//! - [`budget`]: per-phase time limits.
//! - [`plugin`]: the host side of hook plugins in shared libraries: the C
//!   ABI, the loader and [`PluginHook`] (the engine's one module with
//!   `unsafe` code; the plugin side is `light-runtime-plugin-sdk`).
//! - [`error`]: [`InvocationError`] for one invocation, [`Error`] for the runtime.
//! - `clock`: the timings' monotonic clock.
//! - [`panic`](mod@panic): panics caught as errors that say where they happened (for
//!   the engine, and for the plugin SDK at the library boundary).
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use runtime_engine::{
//!     BoxError, Budgets, FunctionInfo, Hook, Invocation, Lifecycle, Outcome, Platform, Response,
//! };
//! use tower::{service_fn, Layer, ServiceExt};
//!
//! struct Shout;
//! impl Hook for Shout {
//!     fn on_after_invoke(&self, _: &runtime_engine::Context, outcome: &mut Outcome) -> Result<(), BoxError> {
//!         if let Outcome::Response(r) = outcome {
//!             *r = Response::json(r.body().to_ascii_uppercase());
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let function = FunctionInfo::new(Platform::Local, "echo");
//! let lifecycle = Arc::new(Lifecycle::new(function, vec![Box::new(Shout)], Budgets::default()));
//! let handler = service_fn(|inv: Invocation| async move { Ok::<_, BoxError>(Response::json(inv.payload)) });
//! let service = lifecycle.layer().layer(handler);
//!
//! let context = lifecycle.context("req-1").build();
//! let outcome = service.oneshot(Invocation::new(context, "\"hi\"")).await.unwrap();
//! assert_eq!(outcome.response().unwrap().body().as_ref(), b"\"HI\"");
//! # });
//! ```

pub mod budget;
mod clock;
pub mod context;
pub mod deadline;
pub mod environment;
pub mod error;
pub mod function;
pub mod headers;
pub mod hook;
pub mod identity;
pub mod initialization;
pub mod invocation;
mod invoke;
pub mod lifecycle;
pub mod panic;
pub mod phase;
mod phase_runner;
pub mod pipeline;
pub mod plugin;
pub mod restores;
pub mod service;
pub mod streaming;
pub mod timings;
pub mod trace;

pub use budget::Budgets;
pub use context::{Context, ContextBuilder, ContextParts, Trigger};
pub use deadline::Deadline;
pub use environment::Environment;
pub use error::{BoxError, Error, ErrorKind, InvocationError};
pub use function::{FunctionInfo, Platform};
pub use headers::PlatformHeaders;
pub use hook::{Ending, Flow, Hook, HookFuture};
pub use identity::{ClientApplication, ClientContext, CognitoIdentity, Credentials};
pub use initialization::Initialization;
pub use invocation::{Invocation, Outcome, Response};
pub use lifecycle::Lifecycle;
pub use phase::{Phase, Phases};
pub use pipeline::Pipeline;
pub use plugin::{PluginError, PluginHook};
pub use restores::restores;
pub use service::{HookLayer, HookService};
pub use streaming::ResponseStream;
pub use timings::{PhaseTiming, StepTiming, TimingsReport};
pub use trace::TraceContext;

/// Re-exported so adapters and layers name the same token type.
pub use tokio_util::sync::CancellationToken;
