//! [`LifecycleLayer`]: a tower layer that also needs lifecycle phases.

use std::sync::Arc;

use runtime_engine::{Budgets, FunctionInfo, Hook, Lifecycle};

use crate::subscriber::SubscriberLayer;

/// A tower layer that also takes part in the lifecycle: it may bring a
/// [`Hook`] (metrics flush at `Freeze` and `Close`, preload runs at
/// `FunctionStart`), adjust the phase [`Budgets`] (the timeout margin), see
/// the [`Lifecycle`] once it exists (preload records its steps' timings) and
/// contribute to the process's `tracing` subscriber (logging, tracing).
///
/// `light_runtime::Runtime::builder().lifecycle_layer(layer)` calls each
/// method once, in this order: [`budgets`](Self::budgets),
/// [`subscriber_layer`](Self::subscriber_layer), [`hook`](Self::hook),
/// [`attach`](Self::attach). Every method has a do-nothing default.
pub trait LifecycleLayer: Clone + Send + Sync + 'static {
    /// The layer's name in `LIGHT_RUNTIME_LAYERS`, logs and timings.
    fn name(&self) -> &'static str;

    /// Adjusts the phase budgets before the lifecycle is built.
    fn budgets(&self, budgets: Budgets) -> Budgets {
        budgets
    }

    /// What this layer adds to the process's `tracing` subscriber, which the
    /// runtime installs (once, see [`crate::subscriber::install`]) before
    /// `RuntimeStart`. `function` is known by then.
    fn subscriber_layer(&self, _function: &FunctionInfo) -> Option<SubscriberLayer> {
        None
    }

    /// The hook for the lifecycle phases this layer needs.
    fn hook(&self) -> Option<Box<dyn Hook>> {
        None
    }

    /// Sees the lifecycle once it is built; the layer may keep a `Weak`.
    fn attach(&self, _lifecycle: &Arc<Lifecycle>) {}
}
