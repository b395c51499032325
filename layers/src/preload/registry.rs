//! [`Registry`]: the registered initialisers and the cells they fill, and
//! [`get`], which reads a cell from a handler.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use once_cell::sync::OnceCell;
use runtime_engine::{BoxError, Context, Lifecycle};

pub(super) type InitFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

/// One registered initialiser, run once.
pub(super) struct Initialiser {
    pub(super) name: String,
    pub(super) timeout: Duration,
    pub(super) run: Box<dyn FnOnce() -> InitFuture + Send>,
}

/// The resources of one [`Preload`](super::Preload): registered while it is
/// built, filled by its hook at `FunctionStart`, read by handlers.
#[derive(Default)]
pub(super) struct Registry {
    /// One `OnceCell<T>` per resource type.
    cells: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    pub(super) initialisers: Mutex<Vec<Initialiser>>,
    /// For the `preload:<name>` steps in the `FunctionStart` timings.
    pub(super) lifecycle: OnceLock<Weak<Lifecycle>>,
}

/// What invocations carry in their context's extensions.
#[derive(Clone)]
pub(super) struct Preloaded(pub(super) Arc<Registry>);

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

impl Registry {
    /// Adds a cell for `T` and the initialiser that fills it.
    ///
    /// # Panics
    /// If a resource of type `T` is already registered.
    pub(super) fn insert<T, F, Fut, E>(
        &mut self,
        name: &str,
        timeout: Duration,
        init: F,
    ) -> Resource<T>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let cell = Arc::new(OnceCell::<T>::new());
        let previous = self.cells.insert(TypeId::of::<T>(), cell.clone());
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
        self.initialisers
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .push(Initialiser {
                name: name.to_owned(),
                timeout,
                run,
            });
        Resource { cell }
    }

    /// How many resources are registered.
    pub(super) fn len(&self) -> usize {
        self.cells.len()
    }

    pub(super) fn get<T: 'static>(&self) -> Option<&T> {
        self.cells
            .get(&TypeId::of::<T>())?
            .downcast_ref::<OnceCell<T>>()?
            .get()
    }
}

/// The preloaded value of type `T` for this invocation, if the [`Preload`](super::Preload)
/// layer is installed and its initialiser has run.
pub fn get<T: 'static>(context: &Context) -> Option<&T> {
    context.extensions().get::<Preloaded>()?.0.get::<T>()
}
