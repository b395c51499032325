//! `Box<H>`, `Arc<H>`, `Option<H>` and `Vec<H>` are hooks too, so optional
//! or dynamic hook lists need no glue.

use std::sync::Arc;

use super::{Ending, Flow, Hook, HookFuture};
use crate::context::Context;
use crate::error::BoxError;
use crate::function::FunctionInfo;
use crate::invocation::{Invocation, Outcome};
use crate::phase::Phases;

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
        fn on_snapshot(&$self) -> HookFuture<'_> {
            $target.on_snapshot()
        }
        fn on_restore(&$self) -> HookFuture<'_> {
            $target.on_restore()
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
    fn on_snapshot(&self) -> HookFuture<'_> {
        self.as_ref()
            .map_or(HookFuture::done(), |h| h.on_snapshot())
    }
    fn on_restore(&self) -> HookFuture<'_> {
        self.as_ref().map_or(HookFuture::done(), |h| h.on_restore())
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

/// A list of hooks acts as one hook: build-up phases in list order,
/// wind-down phases (`Snapshot` and those after the handler) reversed. The
/// first failure stops the list.
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
    fn on_snapshot(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            for hook in self.iter().rev() {
                hook.on_snapshot().await?;
            }
            Ok(())
        })
    }
    fn on_restore(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            for hook in self {
                hook.on_restore().await?;
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
