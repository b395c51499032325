//! Lifecycle layers: those added with
//! [`RuntimeBuilder::lifecycle_layer`](crate::RuntimeBuilder::lifecycle_layer)
//! and those a platform team names in `LIGHT_RUNTIME_LAYERS`.
//!
//! Before the lifecycle is built, [`Layered::prepare`] reads the variable,
//! applies every layer's budget adjustment, installs the `tracing`
//! subscriber the layers contribute to (once per process), and puts the
//! environment's layers' hooks first (they are the outermost layers). After,
//! [`Layered::attach`] shows every layer the lifecycle. Without the `layers`
//! feature all of this is a zero-sized no-op.

use std::sync::Arc;

use runtime_engine::Environment;
use runtime_engine::{Budgets, FunctionInfo, Hook, Lifecycle};

#[cfg(feature = "layers")]
use light_runtime_layers::env_layers::LAYERS_VAR;
#[cfg(feature = "layers")]
use light_runtime_layers::{EnvLayers, LifecycleLayer, SubscriberLayer};
/// The variable that names layers to turn on (read by the layers crate).
#[cfg(not(feature = "layers"))]
const LAYERS_VAR: &str = "LIGHT_RUNTIME_LAYERS";

/// The tower layer of the environment's layers (a pass-through without the
/// `layers` feature).
#[cfg(feature = "layers")]
pub(crate) type EnvStack = light_runtime_layers::EnvStack;
/// The tower layer of the environment's layers (a pass-through without the
/// `layers` feature).
#[cfg(not(feature = "layers"))]
pub(crate) type EnvStack = tower::layer::util::Identity;

#[cfg(feature = "layers")]
type BudgetFn = Box<dyn Fn(Budgets) -> Budgets + Send + Sync>;
#[cfg(feature = "layers")]
type SubscriberFn = Box<dyn Fn(&FunctionInfo) -> Option<SubscriberLayer> + Send + Sync>;
#[cfg(feature = "layers")]
type AttachFn = Box<dyn Fn(&Arc<Lifecycle>) + Send + Sync>;

/// What the builder keeps of its lifecycle layers.
#[derive(Default)]
pub(crate) struct Layered {
    /// The names of the layers added in code, in order.
    #[cfg(feature = "layers")]
    names: Vec<&'static str>,
    /// Notes kept until [`Layered::prepare`], when they can be printed.
    #[cfg(feature = "layers")]
    notes: Vec<String>,
    #[cfg(feature = "layers")]
    budgets: Vec<BudgetFn>,
    #[cfg(feature = "layers")]
    subscribers: Vec<SubscriberFn>,
    #[cfg(feature = "layers")]
    attachers: Vec<AttachFn>,
    #[cfg(feature = "layers")]
    env: EnvLayers,
}

impl Layered {
    /// Remembers `layer`'s budget, subscriber and attach steps; returns its
    /// hook. A second layer of the same name keeps only its tower layer: two
    /// logging subscribers in one process panic on the first span.
    #[cfg(feature = "layers")]
    pub(crate) fn push<T: LifecycleLayer>(&mut self, layer: &T) -> Option<Box<dyn Hook>> {
        let name = layer.name();
        if self.names.contains(&name) {
            self.notes.push(format!(
                "the `{name}` layer is added twice in code; the second one only wraps the \
                 handler, its subscriber, hook and budgets are skipped; remove one"
            ));
            return None;
        }
        self.names.push(name);
        let (b, s, a) = (layer.clone(), layer.clone(), layer.clone());
        self.budgets
            .push(Box::new(move |budgets| b.budgets(budgets)));
        self.subscribers
            .push(Box::new(move |function| s.subscriber_layer(function)));
        self.attachers
            .push(Box::new(move |lifecycle| a.attach(lifecycle)));
        layer.hook()
    }

    /// Reads `LIGHT_RUNTIME_LAYERS`, adjusts `budgets`, installs the
    /// subscriber and returns the budgets and hooks the lifecycle gets.
    #[cfg_attr(not(feature = "layers"), allow(unused_variables))]
    pub(crate) fn prepare(
        &mut self,
        env: &Environment,
        function: &FunctionInfo,
        budgets: Budgets,
        hooks: Vec<Box<dyn Hook>>,
    ) -> (Budgets, Vec<Box<dyn Hook>>) {
        #[cfg(feature = "layers")]
        {
            self.env = EnvLayers::from_environment(env);
            for note in self.notes.drain(..) {
                tracing::warn!("{note}");
            }
            for name in &self.names {
                if self.env.without(name) {
                    tracing::warn!(
                        "{LAYERS_VAR} names `{name}`, which the function already adds in code; \
                         it is installed once, as the code configures it"
                    );
                }
            }
            let mut budgets = self.env.budgets(budgets);
            for adjust in &self.budgets {
                budgets = adjust(budgets);
            }
            let mut parts = self.env.subscriber_layers(function);
            parts.extend(self.subscribers.iter().filter_map(|f| f(function)));
            light_runtime_layers::subscriber::install(parts);
            if !self.env.is_empty() {
                tracing::debug!(layers = ?self.env.names(), "layers turned on by LIGHT_RUNTIME_LAYERS");
            }
            let mut all = self.env.hooks();
            all.extend(hooks);
            (budgets, all)
        }
        #[cfg(not(feature = "layers"))]
        {
            if let Some(note) = ignored_layers_note(env) {
                tracing::warn!("{note}");
            }
            (budgets, hooks)
        }
    }

    /// Shows every layer the lifecycle.
    #[cfg_attr(not(feature = "layers"), allow(unused_variables))]
    pub(crate) fn attach(&self, lifecycle: &Arc<Lifecycle>) {
        #[cfg(feature = "layers")]
        {
            self.env.attach(lifecycle);
            self.attachers.iter().for_each(|attach| attach(lifecycle));
        }
    }

    /// The environment's layers as one tower layer, outermost of all.
    pub(crate) fn stack(&self) -> EnvStack {
        #[cfg(feature = "layers")]
        return self.env.stack();
        #[cfg(not(feature = "layers"))]
        tower::layer::util::Identity::new()
    }
}

/// What to say when `LIGHT_RUNTIME_LAYERS` is set in a build that cannot
/// honour it (no `layers` feature), so the platform team is not left
/// wondering why its logging never appears.
#[cfg_attr(feature = "layers", allow(dead_code))]
fn ignored_layers_note(env: &Environment) -> Option<String> {
    let list = env.get(LAYERS_VAR)?;
    if list.trim().is_empty() {
        return None;
    }
    Some(format!(
        "{LAYERS_VAR}={list} is ignored: this build of light-runtime has no layers; \
         enable the cargo feature `logging`, `metrics`, `trace`, `timeout` or `full` of \
         light-runtime to turn them on from the environment"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layers_variable_that_cannot_be_honoured_is_reported() {
        let set = Environment::from_vars([(LAYERS_VAR, "logging")]);
        let note = ignored_layers_note(&set).expect("a note");
        assert!(note.contains("LIGHT_RUNTIME_LAYERS=logging"), "{note}");
        assert!(note.contains("cargo feature `logging`"), "{note}");
        assert!(ignored_layers_note(&Environment::from_vars([(LAYERS_VAR, " ")])).is_none());
        assert!(
            ignored_layers_note(&Environment::from_vars(std::iter::empty::<(&str, &str)>()))
                .is_none()
        );
    }
}
