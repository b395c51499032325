//! [`Runtime::builder`]: hooks, layers and closures, then `run(handler)`.

use std::future::Future;
use std::sync::Arc;

use light_runtime_adapters::{Adapter, BoxPipeline, KnownPlatform};
use runtime_engine::{
    BoxError, Budgets, Environment, Error, FunctionInfo, Hook, HookService, Lifecycle, Pipeline,
    Platform,
};
use tower::layer::util::{Identity, Stack};
use tower::Layer;

use crate::closure_hook::{At, ClosureHook};
use crate::handler::Handler;
use crate::shutdown;

/// The runtime: detects the platform, runs the lifecycle, serves the handler.
///
/// ```no_run
/// use light_runtime::{Context, Error, Runtime};
/// use serde_json::Value;
///
/// async fn handler(event: Value, _ctx: Context) -> Result<Value, Error> {
///     Ok(event)
/// }
///
/// #[tokio::main(flavor = "current_thread")]
/// async fn main() -> Result<(), light_runtime::RuntimeError> {
///     Runtime::builder()
///         .on_function_start(|| async { Ok::<_, Error>(()) })
///         .run(handler)
///         .await
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Runtime;

impl Runtime {
    /// Starts building a runtime.
    pub fn builder() -> RuntimeBuilder<Identity> {
        RuntimeBuilder {
            layers: Identity::new(),
            hooks: Vec::new(),
            budgets: Budgets::default(),
            platform: None,
            function: None,
            environment: Environment::process(),
            layered: Default::default(),
        }
    }
}

/// Configures hooks, layers, closures and budgets; reads like the stack it
/// builds. See [`Runtime`].
#[must_use = "a RuntimeBuilder does nothing until `run` is awaited"]
pub struct RuntimeBuilder<L> {
    layers: L,
    hooks: Vec<Box<dyn Hook>>,
    budgets: Budgets,
    platform: Option<Platform>,
    function: Option<FunctionInfo>,
    environment: Environment,
    /// Lifecycle layers' budget, subscriber and attach steps, and the
    /// layers named by `LIGHT_RUNTIME_LAYERS`.
    layered: crate::layered::Layered,
}

impl<L> std::fmt::Debug for RuntimeBuilder<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field(
                "hooks",
                &self.hooks.iter().map(|h| h.name()).collect::<Vec<_>>(),
            )
            .field("budgets", &self.budgets)
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

impl<L> RuntimeBuilder<L> {
    /// Adds a hook. Hooks run in the order added before the handler and in
    /// reverse order after it.
    pub fn hook(mut self, hook: impl Hook) -> Self {
        self.hooks.push(Box::new(hook));
        self
    }

    /// Adds a tower layer around the pipeline. The first layer added is the
    /// outermost; every layer sits outside the hooks.
    pub fn layer<T>(self, layer: T) -> RuntimeBuilder<Stack<T, L>> {
        RuntimeBuilder {
            layers: Stack::new(layer, self.layers),
            hooks: self.hooks,
            budgets: self.budgets,
            platform: self.platform,
            function: self.function,
            environment: self.environment,
            layered: self.layered,
        }
    }

    /// Adds a layer that also takes part in the lifecycle (logging,
    /// metrics, tracing, preload, timeout from `light_runtime::layers`): the
    /// tower layer, as [`layer`](Self::layer) would, plus its hook, budget
    /// adjustment and `tracing` subscriber.
    ///
    /// ```no_run
    /// # async fn handler(e: serde_json::Value, _: light_runtime::Context) -> Result<serde_json::Value, light_runtime::Error> { Ok(e) }
    /// # async fn run() -> Result<(), light_runtime::RuntimeError> {
    /// use light_runtime::layers::{LoggingLayer, MetricsLayer};
    /// light_runtime::Runtime::builder()
    ///     .lifecycle_layer(LoggingLayer::from_env())
    ///     .lifecycle_layer(MetricsLayer::from_env())
    ///     .run(handler)
    ///     .await
    /// # }
    /// ```
    #[cfg(feature = "layers")]
    pub fn lifecycle_layer<T>(mut self, layer: T) -> RuntimeBuilder<Stack<T, L>>
    where
        T: light_runtime_layers::LifecycleLayer,
    {
        if let Some(hook) = self.layered.push(&layer) {
            self.hooks.push(hook);
        }
        self.layer(layer)
    }

    /// Runs `init` once at `FunctionStart` (in hook order); an error fails init.
    pub fn on_function_start<F, Fut, E>(self, init: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let name = format!("on_function_start#{}", self.hooks.len() + 1);
        self.hook(ClosureHook::new(name, At::FunctionStart, init))
    }

    /// Runs `cleanup` once at `Close`, within the close budget.
    pub fn on_close<F, Fut, E>(self, cleanup: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let name = format!("on_close#{}", self.hooks.len() + 1);
        self.hook(ClosureHook::new(name, At::Close, cleanup))
    }

    /// Replaces the phase budgets.
    pub fn with_budgets(mut self, budgets: Budgets) -> Self {
        self.budgets = budgets;
        self
    }

    /// Forces a platform instead of detecting it.
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Reads configuration from `environment` instead of the process
    /// environment: several runtimes in one process (tests, demos) each see
    /// their own `AWS_LAMBDA_RUNTIME_API`, `PORT`, ...
    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Replaces the function facts read from the environment (tests, demos).
    pub fn with_function(mut self, function: FunctionInfo) -> Self {
        self.function = Some(function);
        self
    }

    /// Runs `handler` until shutdown. Resolves to `Ok` after an orderly
    /// shutdown (SIGTERM, Ctrl-C) with `Close` and `End` run, and to an error
    /// (init failed, platform unreachable) otherwise; `End` runs either way.
    pub async fn run<H, M>(self, handler: H) -> Result<(), Error>
    where
        H: Handler<M>,
        L: Layer<HookService<H::Service>>,
        L::Service: Pipeline,
    {
        let shutdown = shutdown::on_signal();
        self.run_until(handler, shutdown).await
    }

    /// Like [`run`](Self::run), but shuts down when `shutdown` is cancelled
    /// instead of on signals.
    pub async fn run_until<H, M>(
        self,
        handler: H,
        shutdown: runtime_engine::CancellationToken,
    ) -> Result<(), Error>
    where
        H: Handler<M>,
        L: Layer<HookService<H::Service>>,
        L::Service: Pipeline,
    {
        let environment = self.environment.clone();
        let (adapter, lifecycle, pipeline) =
            crate::diagnostics::during_setup(&environment, || self.assemble(handler))?;
        crate::diagnostics::install_fallback(&environment);
        let result = adapter
            .run(lifecycle.clone(), pipeline, shutdown, &environment)
            .await;
        if let Err(error) = &result {
            tracing::error!("light-runtime stopped: {error}");
        }
        lifecycle.end(if result.is_ok() { 0 } else { 1 });
        result
    }

    /// Detects the platform and builds the lifecycle and the pipeline:
    /// everything before the adapter runs, with no `.await`.
    #[allow(clippy::type_complexity)]
    fn assemble<H, M>(
        self,
        handler: H,
    ) -> Result<(&'static dyn Adapter, Arc<Lifecycle>, BoxPipeline), Error>
    where
        H: Handler<M>,
        L: Layer<HookService<H::Service>>,
        L::Service: Pipeline,
    {
        let known = match self.platform {
            Some(platform) => KnownPlatform::of(platform)?,
            None => KnownPlatform::detect(&self.environment)?,
        };
        let adapter = known.adapter()?;
        let function = match self.function {
            Some(function) => function,
            None => adapter.function_info(&self.environment),
        };
        let mut layered = self.layered;
        let (budgets, hooks) =
            layered.prepare(&self.environment, &function, self.budgets, self.hooks);
        let (hooks, plugin_loads) = crate::plugins::attach(hooks, &self.environment);
        let lifecycle = Arc::new(Lifecycle::new(function, hooks, budgets));
        layered.attach(&lifecycle);
        for (step, load_time) in &plugin_loads {
            lifecycle.record_step(runtime_engine::Phase::RuntimeStart, step, *load_time);
        }
        let pipeline = BoxPipeline::new(
            layered.stack().layer(
                self.layers
                    .layer(lifecycle.layer().layer(handler.into_service())),
            ),
        );
        Ok((adapter, lifecycle, pipeline))
    }
}
