//! [`PreloadService`]: puts the preloaded resources in each invocation's context.

use std::task::{Context as TaskContext, Poll};

use runtime_engine::Invocation;
use tower_service::Service;

use super::registry::Preloaded;

/// Inserts the preloaded resources into each invocation's context
/// extensions (one `Arc` clone), where [`get`](super::get) finds them.
#[derive(Clone)]
pub struct PreloadService<S> {
    inner: S,
    preloaded: Preloaded,
}

impl<S: std::fmt::Debug> std::fmt::Debug for PreloadService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreloadService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S> PreloadService<S> {
    pub(super) fn new(inner: S, preloaded: Preloaded) -> Self {
        PreloadService { inner, preloaded }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> Service<Invocation> for PreloadService<S>
where
    S: Service<Invocation>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: Invocation) -> Self::Future {
        invocation
            .context
            .extensions_mut()
            .insert(self.preloaded.clone());
        self.inner.call(invocation)
    }
}
