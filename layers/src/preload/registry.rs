//! [`Preload`]: the registered initialisers and their cells.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use once_cell::sync::OnceCell;
use runtime_engine::{BoxError, Context, Hook, Lifecycle};
use tower_layer::Layer;

use super::hook::PreloadHook;
use super::service::PreloadService;
use crate::LifecycleLayer;

pub(super) type InitFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

/// One registered initialiser, run once.
pub(super) struct Initialiser {
    pub(super) name: String,
    pub(super) timeout: Duration,
    pub(super) run: Box<dyn FnOnce() -> InitFuture + Send>,
}

pub(super) struct Shared {
    /// One `OnceCell<T>` per resource type.
    cells: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    pub(super) initialisers: Mutex<Vec<Initialiser>>,
    pub(super) lifecycle: OnceLock<Weak<Lifecycle>>,
}

/// The preload layer: register initialisers, then add it to the builder.
#[derive(Clone)]
pub struct Preload {
    pub(super) shared: Arc<Shared>,
}

/// What invocations carry in their context's extensions.
#[derive(Clone)]
pub(super) struct Preloaded(pub(super) Arc<Shared>);

/// A handle to one preloaded value: empty until `FunctionStart` filled it.
#[derive(Debug)]
pub struct Resource<T> {
    cell: Arc<OnceCell<T>>,
}

impl<T> Clone for Resource<T> {
    fn clone(&self) -> Self {
        Resource {
            cell: self.cell.clone(),
        }
    }
}

impl<T> Resource<T> {
    /// The value, once its initialiser has run.
    pub fn get(&self) -> Option<&T> {
        self.cell.get()
    }
}

impl std::fmt::Debug for Preload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pending = self
            .shared
            .initialisers
            .lock()
            .map(|i| i.len())
            .unwrap_or(0);
        f.debug_struct("Preload")
            .field("resources", &self.shared.cells.len())
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
            shared: Arc::new(Shared {
                cells: HashMap::new(),
                initialisers: Mutex::new(Vec::new()),
                lifecycle: OnceLock::new(),
            }),
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
        let shared = Arc::get_mut(&mut self.shared)
            .expect("register preload resources before adding the Preload layer to a runtime");
        let cell = Arc::new(OnceCell::<T>::new());
        let previous = shared.cells.insert(TypeId::of::<T>(), cell.clone());
        assert!(
            previous.is_none(),
            "preload `{name}`: a resource of type {} is already registered; wrap one of them in a newtype",
            std::any::type_name::<T>()
        );
        let filled = cell.clone();
        let run: Box<dyn FnOnce() -> InitFuture + Send> = Box::new(move || {
            Box::pin(async move {
                let value = init().await.map_err(Into::into)?;
                let _ = filled.set(value);
                Ok(())
            })
        });
        shared
            .initialisers
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .push(Initialiser {
                name: name.to_owned(),
                timeout,
                run,
            });
        Resource { cell }
    }
}

impl Shared {
    pub(super) fn get<T: 'static>(&self) -> Option<&T> {
        self.cells
            .get(&TypeId::of::<T>())?
            .downcast_ref::<OnceCell<T>>()?
            .get()
    }
}

/// The preloaded value of type `T` for this invocation, if the [`Preload`]
/// layer is installed and its initialiser has run.
pub fn get<T: 'static>(context: &Context) -> Option<&T> {
    context.extensions().get::<Preloaded>()?.0.get::<T>()
}

impl<S> Layer<S> for Preload {
    type Service = PreloadService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PreloadService::new(inner, Preloaded(self.shared.clone()))
    }
}

impl LifecycleLayer for Preload {
    fn name(&self) -> &'static str {
        "preload"
    }

    fn hook(&self) -> Option<Box<dyn Hook>> {
        Some(Box::new(PreloadHook::new(self.shared.clone())))
    }

    fn attach(&self, lifecycle: &Arc<Lifecycle>) {
        let _ = self.shared.lifecycle.set(Arc::downgrade(lifecycle));
    }
}
