//! The [`Hook`] trait: one method per lifecycle phase, each with a do-nothing default.
//!
//! Shaped like `tracing_subscriber::Layer`: a hook implements only the phases
//! it cares about, and `Option<H>`, `Box<H>`, `Arc<H>` and `Vec<H>` are hooks
//! too, so optional or dynamic hook lists need no glue.
//!
//! Per-invocation phases that must stay cheap (`BeforeInvoke`, `AfterInvoke`)
//! are synchronous; asynchronous work around the handler belongs in a tower
//! layer. Phases that flush or initialise return a [`HookFuture`], which costs
//! nothing (no allocation, no timer) when the hook has nothing to do.

mod containers;
mod future;

pub use future::HookFuture;

use crate::context::Context;
use crate::error::BoxError;
use crate::function::FunctionInfo;
use crate::invocation::{Invocation, Outcome};
use crate::phase::Phases;
use crate::timings::TimingsReport;

/// What a `BeforeInvoke` hook decides.
#[derive(Debug)]
pub enum Flow {
    /// Go on to the next hook and then the handler.
    Continue,
    /// Answer in place of the handler. Hooks after this one and the handler
    /// are skipped; `AfterInvoke` still runs for this hook and those before it.
    Respond(Outcome),
}

/// What `End` hooks are told.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Ending {
    /// The code the process is about to exit with.
    pub exit_code: i32,
    /// Every phase's timings up to now.
    pub timings: TimingsReport,
}

impl Ending {
    /// What `End` hooks are told, for code that runs them itself (the
    /// plugin SDK, on a plugin's side of the boundary).
    pub fn new(exit_code: i32, timings: TimingsReport) -> Self {
        Ending { exit_code, timings }
    }
}

/// Code that runs at lifecycle phases.
///
/// Every method has a do-nothing default. Hooks run in registration order for
/// the phases that build up (`RuntimeStart`, `FunctionStart`, `Restore`,
/// `BeforeInvoke`) and in reverse order for those that wind down
/// (`Snapshot`, `AfterInvoke`, `AfterResponse`, `Freeze`, `Close`, `End`),
/// like the layers of an onion.
///
/// A failing `RuntimeStart`, `FunctionStart` or `Snapshot` hook is an init
/// error; a failing `Restore` hook is a restore error (AWS:
/// `/runtime/restore/error`), after which the runtime exits; a failing
/// `BeforeInvoke` hook fails the invocation; failures in later phases are
/// logged and the runtime goes on. A panic in any hook is caught and treated
/// as a failure of that hook.
///
/// ```
/// use runtime_engine::{BoxError, Context, Hook, Outcome};
///
/// /// Counts failed invocations.
/// #[derive(Default)]
/// struct CountErrors(std::sync::atomic::AtomicU64);
///
/// impl Hook for CountErrors {
///     fn on_after_invoke(&self, _ctx: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
///         if outcome.is_error() {
///             self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         }
///         Ok(())
///     }
/// }
/// ```
pub trait Hook: Send + Sync + 'static {
    /// The name used in timings, logs and error messages.
    fn name(&self) -> &str {
        short_type_name(std::any::type_name::<Self>())
    }

    /// The phases this hook takes part in; the engine neither calls nor
    /// times it in the others. Asked once, when the lifecycle is built.
    /// The default, every phase, is always correct; narrowing it is an
    /// optimisation for hooks on the per-invocation path.
    fn phases(&self) -> Phases {
        Phases::ALL
    }

    /// Process start, before the platform is contacted.
    fn on_runtime_start(&self, _function: &FunctionInfo) -> Result<(), BoxError> {
        Ok(())
    }

    /// The platform's init phase.
    fn on_function_start<'a>(&'a self, _function: &'a FunctionInfo) -> HookFuture<'a> {
        HookFuture::done()
    }

    /// Init is over and the platform is about to snapshot the instance:
    /// close connections, drop what must not be shared by the copies
    /// started from the snapshot. Runs only on a platform that snapshots
    /// (AWS Lambda with `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`).
    fn on_snapshot(&self) -> HookFuture<'_> {
        HookFuture::done()
    }

    /// This instance was started from a snapshot: re-open connections,
    /// re-seed what must differ between copies. Runs only after a restore.
    fn on_restore(&self) -> HookFuture<'_> {
        HookFuture::done()
    }

    /// Before the handler. May change the invocation or answer in its place.
    fn on_before_invoke(&self, _invocation: &mut Invocation) -> Result<Flow, BoxError> {
        Ok(Flow::Continue)
    }

    /// After the handler, also on error, panic and timeout. May replace the outcome.
    fn on_after_invoke(&self, _context: &Context, _outcome: &mut Outcome) -> Result<(), BoxError> {
        Ok(())
    }

    /// After the platform has the response. Never delays the response.
    fn on_after_response<'a>(
        &'a self,
        _context: &'a Context,
        _outcome: &'a Outcome,
    ) -> HookFuture<'a> {
        HookFuture::done()
    }

    /// The platform may freeze the instance once this returns.
    fn on_freeze(&self) -> HookFuture<'_> {
        HookFuture::done()
    }

    /// Shutdown was asked for; in-flight invocations have finished.
    fn on_close(&self) -> HookFuture<'_> {
        HookFuture::done()
    }

    /// Last words before exit. Synchronous and should be tiny.
    fn on_end(&self, _ending: &Ending) {}
}

impl std::fmt::Debug for dyn Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hook({})", self.name())
    }
}

/// `core::any::type_name` without its module path or generic arguments.
pub(crate) fn short_type_name(full: &str) -> &str {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_drop_paths_and_generics() {
        assert_eq!(short_type_name("a::b::Audit"), "Audit");
        assert_eq!(short_type_name("a::Wrap<b::C>"), "Wrap");
        assert_eq!(short_type_name("Plain"), "Plain");
    }
}
