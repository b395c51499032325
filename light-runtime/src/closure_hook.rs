//! Async closures registered on the builder for `FunctionStart` and `Close`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use runtime_engine::{BoxError, FunctionInfo, Hook, HookFuture};

type Once = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>> + Send>;

/// Which phase a [`ClosureHook`] runs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum At {
    FunctionStart,
    Close,
}

/// Runs one async closure, once, at its phase.
pub(crate) struct ClosureHook {
    name: String,
    at: At,
    closure: Mutex<Option<Once>>,
}

impl ClosureHook {
    pub(crate) fn new<F, Fut, E>(name: String, at: At, closure: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let boxed: Once = Box::new(move || {
            let future = closure();
            Box::pin(async move { future.await.map_err(Into::into) })
        });
        ClosureHook {
            name,
            at,
            closure: Mutex::new(Some(boxed)),
        }
    }

    fn run(&self, at: At) -> HookFuture<'_> {
        if self.at != at {
            return HookFuture::done();
        }
        let closure = self
            .closure
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        match closure {
            Some(closure) => HookFuture::new(closure()),
            None => HookFuture::done(),
        }
    }
}

impl Hook for ClosureHook {
    fn name(&self) -> &str {
        &self.name
    }

    fn on_function_start<'a>(&'a self, _function: &'a FunctionInfo) -> HookFuture<'a> {
        self.run(At::FunctionStart)
    }

    fn on_close(&self) -> HookFuture<'_> {
        self.run(At::Close)
    }
}
