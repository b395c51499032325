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

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use crate::context::Context;
use crate::error::BoxError;
use crate::function::FunctionInfo;
use crate::invocation::{Invocation, Outcome};
use crate::lifecycle::Ending;
use crate::phase::Phases;

/// What a `BeforeInvoke` hook decides.
#[derive(Debug)]
pub enum Flow {
    /// Go on to the next hook and then the handler.
    Continue,
    /// Answer in place of the handler. Hooks after this one and the handler
    /// are skipped; `AfterInvoke` still runs for this hook and those before it.
    Respond(Outcome),
}

/// The future returned by the asynchronous phase methods of [`Hook`].
///
/// Use [`HookFuture::done`] (the default) when there is nothing to do and
/// [`HookFuture::new`] to run async work; the engine only arms a budget timer
/// for futures that are not already complete.
#[must_use = "a HookFuture does nothing unless awaited"]
pub struct HookFuture<'a> {
    state: HookFutureState<'a>,
}

enum HookFutureState<'a> {
    Ready(Option<Result<(), BoxError>>),
    Boxed(Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>>),
}

impl<'a> HookFuture<'a> {
    /// A hook phase that has already finished successfully.
    pub const fn done() -> Self {
        HookFuture {
            state: HookFutureState::Ready(Some(Ok(()))),
        }
    }

    /// A hook phase that has already finished with `result`.
    pub fn ready(result: Result<(), BoxError>) -> Self {
        HookFuture {
            state: HookFutureState::Ready(Some(result)),
        }
    }

    /// A hook phase that runs `future`.
    pub fn new<F>(future: F) -> Self
    where
        F: Future<Output = Result<(), BoxError>> + Send + 'a,
    {
        HookFuture {
            state: HookFutureState::Boxed(Box::pin(future)),
        }
    }

    /// The result if the phase finished without awaiting anything, else
    /// the future to await. By value, so the ready case leaves nothing to
    /// drop.
    #[inline]
    pub(crate) fn into_ready(self) -> Result<Result<(), BoxError>, Self> {
        match self.state {
            HookFutureState::Ready(Some(result)) => Ok(result),
            state => Err(HookFuture { state }),
        }
    }
}

impl Future for HookFuture<'_> {
    type Output = Result<(), BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            HookFutureState::Ready(result) => {
                Poll::Ready(result.take().expect("HookFuture polled after completion"))
            }
            HookFutureState::Boxed(future) => future.as_mut().poll(cx),
        }
    }
}

impl std::fmt::Debug for HookFuture<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.state {
            HookFutureState::Ready(_) => f.write_str("HookFuture::Ready"),
            HookFutureState::Boxed(_) => f.write_str("HookFuture::Pending"),
        }
    }
}

/// Code that runs at lifecycle phases.
///
/// Every method has a do-nothing default. Hooks run in registration order for
/// the phases before the handler (`RuntimeStart`, `FunctionStart`,
/// `BeforeInvoke`) and in reverse order after it (`AfterInvoke`,
/// `AfterResponse`, `Freeze`, `Close`, `End`), like the layers of an onion.
///
/// A failing `RuntimeStart` or `FunctionStart` hook is an init error; a failing
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

/// `core::any::type_name` without its module path or generic arguments.
pub(crate) fn short_type_name(full: &str) -> &str {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

macro_rules! forward_hook {
    ($self:ident => $target:expr) => {
        fn name(&$self) -> &str {
            $target.name()
        }
        fn phases(&$self) -> Phases {
            $target.phases()
        }
        fn on_runtime_start(&$self, function: &FunctionInfo) -> Result<(), BoxError> {
            $target.on_runtime_start(function)
        }
        fn on_function_start<'a>(&'a $self, function: &'a FunctionInfo) -> HookFuture<'a> {
            $target.on_function_start(function)
        }
        fn on_before_invoke(&$self, invocation: &mut Invocation) -> Result<Flow, BoxError> {
            $target.on_before_invoke(invocation)
        }
        fn on_after_invoke(&$self, context: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
            $target.on_after_invoke(context, outcome)
        }
        fn on_after_response<'a>(&'a $self, context: &'a Context, outcome: &'a Outcome) -> HookFuture<'a> {
            $target.on_after_response(context, outcome)
        }
        fn on_freeze(&$self) -> HookFuture<'_> {
            $target.on_freeze()
        }
        fn on_close(&$self) -> HookFuture<'_> {
            $target.on_close()
        }
        fn on_end(&$self, ending: &Ending) {
            $target.on_end(ending)
        }
    };
}

impl<H: Hook + ?Sized> Hook for Box<H> {
    forward_hook!(self => (**self));
}

impl<H: Hook + ?Sized> Hook for Arc<H> {
    forward_hook!(self => (**self));
}

impl<H: Hook> Hook for Option<H> {
    fn name(&self) -> &str {
        match self {
            Some(hook) => hook.name(),
            None => "None",
        }
    }
    fn phases(&self) -> Phases {
        self.as_ref().map_or(Phases::NONE, |h| h.phases())
    }
    fn on_runtime_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        self.as_ref()
            .map_or(Ok(()), |h| h.on_runtime_start(function))
    }
    fn on_function_start<'a>(&'a self, function: &'a FunctionInfo) -> HookFuture<'a> {
        self.as_ref()
            .map_or(HookFuture::done(), |h| h.on_function_start(function))
    }
    fn on_before_invoke(&self, invocation: &mut Invocation) -> Result<Flow, BoxError> {
        self.as_ref()
            .map_or(Ok(Flow::Continue), |h| h.on_before_invoke(invocation))
    }
    fn on_after_invoke(&self, context: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
        self.as_ref()
            .map_or(Ok(()), |h| h.on_after_invoke(context, outcome))
    }
    fn on_after_response<'a>(
        &'a self,
        context: &'a Context,
        outcome: &'a Outcome,
    ) -> HookFuture<'a> {
        self.as_ref().map_or(HookFuture::done(), |h| {
            h.on_after_response(context, outcome)
        })
    }
    fn on_freeze(&self) -> HookFuture<'_> {
        self.as_ref().map_or(HookFuture::done(), |h| h.on_freeze())
    }
    fn on_close(&self) -> HookFuture<'_> {
        self.as_ref().map_or(HookFuture::done(), |h| h.on_close())
    }
    fn on_end(&self, ending: &Ending) {
        if let Some(hook) = self {
            hook.on_end(ending)
        }
    }
}

/// A list of hooks acts as one hook: before-phases in list order, after-phases
/// reversed. The first failure stops the list.
impl<H: Hook> Hook for Vec<H> {
    fn name(&self) -> &str {
        "Vec"
    }
    fn phases(&self) -> Phases {
        self.iter()
            .fold(Phases::NONE, |set, h| set.union(h.phases()))
    }
    fn on_runtime_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        self.iter().try_for_each(|h| h.on_runtime_start(function))
    }
    fn on_function_start<'a>(&'a self, function: &'a FunctionInfo) -> HookFuture<'a> {
        HookFuture::new(async move {
            for hook in self {
                hook.on_function_start(function).await?;
            }
            Ok(())
        })
    }
    fn on_before_invoke(&self, invocation: &mut Invocation) -> Result<Flow, BoxError> {
        for hook in self {
            if let Flow::Respond(outcome) = hook.on_before_invoke(invocation)? {
                return Ok(Flow::Respond(outcome));
            }
        }
        Ok(Flow::Continue)
    }
    fn on_after_invoke(&self, context: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
        self.iter()
            .rev()
            .try_for_each(|h| h.on_after_invoke(context, outcome))
    }
    fn on_after_response<'a>(
        &'a self,
        context: &'a Context,
        outcome: &'a Outcome,
    ) -> HookFuture<'a> {
        HookFuture::new(async move {
            for hook in self.iter().rev() {
                hook.on_after_response(context, outcome).await?;
            }
            Ok(())
        })
    }
    fn on_freeze(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            for hook in self.iter().rev() {
                hook.on_freeze().await?;
            }
            Ok(())
        })
    }
    fn on_close(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            for hook in self.iter().rev() {
                hook.on_close().await?;
            }
            Ok(())
        })
    }
    fn on_end(&self, ending: &Ending) {
        self.iter().rev().for_each(|h| h.on_end(ending))
    }
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
