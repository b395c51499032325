//! [`Adapter`]: the one contract every platform module implements.
//!
//! An adapter turns its platform's requests into [`Invocation`]s for the
//! pipeline and its signals into lifecycle phases. The builder picks one
//! from `PLATFORMS` (by `LIGHT_RUNTIME_PLATFORM` or by
//! detection), asks it to describe the function, builds the pipeline once
//! and hands both to [`Adapter::run`].
//!
//! [`Invocation`]: runtime_engine::Invocation

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use runtime_engine::{CancellationToken, Environment, Error, FunctionInfo, Lifecycle};

use crate::pipeline::BoxPipeline;

/// What [`Adapter::run`] returns: the adapter's whole life, boxed once.
pub type RunFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;

/// One platform contract: how the function is described there and how
/// invocations reach the pipeline until shutdown.
///
/// Detection and the names `LIGHT_RUNTIME_PLATFORM` accepts are data in the
/// platform's `KnownPlatform` row, so that a build
/// without the adapter still recognises its platform and says which cargo
/// feature to enable.
pub trait Adapter: Debug + Send + Sync + 'static {
    /// The function's facts as the platform's environment gives them
    /// (name, version, memory, region, how many invocations may run at once).
    fn function_info(&self, env: &Environment) -> FunctionInfo;

    /// Runs the lifecycle on this platform: `RuntimeStart` and
    /// `FunctionStart` when the platform's contract says, every invocation
    /// through `pipeline`, `Freeze` and `AfterResponse` where they apply,
    /// and `Close` once `shutdown` fires (or the platform asks to stop).
    ///
    /// Resolves to `Ok` after an orderly shutdown, and to the error that
    /// stopped the runtime otherwise (init failed, platform unreachable).
    /// `End` is the caller's.
    fn run<'a>(
        &'a self,
        lifecycle: Arc<Lifecycle>,
        pipeline: BoxPipeline,
        shutdown: CancellationToken,
        env: &'a Environment,
    ) -> RunFuture<'a>;
}
