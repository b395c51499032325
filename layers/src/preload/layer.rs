//! [`Preload`]: the layer a user registers initialisers on.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use runtime_engine::{BoxError, Hook, Lifecycle};
use tower_layer::Layer;

use super::hook::PreloadHook;
use super::registry::{Preloaded, Registry, Resource};
use super::service::PreloadService;
use crate::LifecycleLayer;

/// The preload layer: register initialisers, then add it to the builder.
#[derive(Clone)]
pub struct Preload {
    registry: Arc<Registry>,
}

impl std::fmt::Debug for Preload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pending = self
            .registry
            .initialisers
            .lock()
            .map(|i| i.len())
            .unwrap_or(0);
        f.debug_struct("Preload")
            .field("resources", &self.registry.len())
            .field("pending", &pending)
            .finish()
    }
}

impl Default for Preload {
    fn default() -> Self {
        Self::new()
    }
}

impl Preload {
    /// No initialisers yet.
    pub fn new() -> Self {
        Preload {
            registry: Arc::default(),
        }
    }

    /// Registers `init` for the resource of type `T`, called `name` in
    /// errors and timings, which must finish within `timeout`.
    pub fn resource<T, F, Fut, E>(mut self, name: &str, timeout: Duration, init: F) -> Self
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.register(name, timeout, init);
        self
    }

    /// Like [`resource`](Self::resource), and returns a handle to the value.
    ///
    /// # Panics
    /// If a resource of type `T` is already registered (wrap it in a newtype),
    /// or if this `Preload` was already cloned into a runtime.
    pub fn register<T, F, Fut, E>(&mut self, name: &str, timeout: Duration, init: F) -> Resource<T>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        Arc::get_mut(&mut self.registry)
            .expect("register preload resources before adding the Preload layer to a runtime")
            .insert(name, timeout, init)
    }
}

impl<S> Layer<S> for Preload {
    type Service = PreloadService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PreloadService::new(inner, Preloaded(self.registry.clone()))
    }
}

impl LifecycleLayer for Preload {
    fn name(&self) -> &'static str {
        "preload"
    }

    fn hook(&self) -> Option<Box<dyn Hook>> {
        Some(Box::new(PreloadHook::new(self.registry.clone())))
    }

    fn attach(&self, lifecycle: &Arc<Lifecycle>) {
        let _ = self.registry.lifecycle.set(Arc::downgrade(lifecycle));
    }
}
