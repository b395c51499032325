//! [`Runtime::builder`]: hooks, layers and closures, then `run(handler)`;
//! or several functions by name, then `run()`.

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
use crate::functions::{Dispatch, Functions, SingleFunction};
use crate::handler::Handler;
use crate::shutdown;

/// What runs: the platform's adapter, the lifecycle and the pipeline.
type Assembled = (&'static dyn Adapter, Arc<Lifecycle>, BoxPipeline);

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
            functions: SingleFunction,
        }
    }
}

/// Configures hooks, layers, closures and budgets; reads like the stack it
/// builds. See [`Runtime`].
///
/// `Fs` is [`SingleFunction`] until a [`function`](Self::function) is
/// added, and [`run`](Self::run) takes the handler; after, it is
/// [`Functions`], and `run()` serves them.
#[must_use = "a RuntimeBuilder does nothing until `run` is awaited"]
pub struct RuntimeBuilder<L, Fs = SingleFunction> {
    layers: L,
    hooks: Vec<Box<dyn Hook>>,
    budgets: Budgets,
    platform: Option<Platform>,
    function: Option<FunctionInfo>,
    environment: Environment,
    /// Lifecycle layers' budget, subscriber and attach steps, and the
    /// layers named by `LIGHT_RUNTIME_LAYERS`.
    layered: crate::layered::Layered,
    /// The functions added by name, if any.
    functions: Fs,
}

impl<L, Fs: std::fmt::Debug> std::fmt::Debug for RuntimeBuilder<L, Fs> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field(
                "hooks",
                &self.hooks.iter().map(|h| h.name()).collect::<Vec<_>>(),
            )
            .field("budgets", &self.budgets)
            .field("platform", &self.platform)
            .field("functions", &self.functions)
            .finish_non_exhaustive()
    }
}

impl<L, Fs> RuntimeBuilder<L, Fs> {
    /// Adds a hook. Hooks run in the order added before the handler and in
    /// reverse order after it.
    pub fn hook(mut self, hook: impl Hook) -> Self {
        self.hooks.push(Box::new(hook));
        self
    }

    /// Adds a tower layer around the pipeline. The first layer added is the
    /// outermost; every layer sits outside the hooks.
    pub fn layer<T>(self, layer: T) -> RuntimeBuilder<Stack<T, L>, Fs> {
        RuntimeBuilder {
            layers: Stack::new(layer, self.layers),
            hooks: self.hooks,
            budgets: self.budgets,
            platform: self.platform,
            function: self.function,
            environment: self.environment,
            layered: self.layered,
            functions: self.functions,
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
    pub fn lifecycle_layer<T>(mut self, layer: T) -> RuntimeBuilder<Stack<T, L>, Fs>
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

    /// The same builder holding `functions`.
    fn with_functions<G>(self, functions: G) -> RuntimeBuilder<L, G> {
        RuntimeBuilder {
            layers: self.layers,
            hooks: self.hooks,
            budgets: self.budgets,
            platform: self.platform,
            function: self.function,
            environment: self.environment,
            layered: self.layered,
            functions,
        }
    }

    /// Detects the platform and reads the function's facts: what
    /// everything else is built from.
    fn platform_and_function(&self) -> Result<(&'static dyn Adapter, FunctionInfo), Error> {
        let known = match self.platform {
            Some(platform) => KnownPlatform::of(platform)?,
            None => KnownPlatform::detect(&self.environment)?,
        };
        let adapter = known.adapter()?;
        let function = match &self.function {
            Some(function) => function.clone(),
            None => adapter.function_info(&self.environment),
        };
        Ok((adapter, function))
    }

    /// The lifecycle of `function` with the builder's hooks, budgets,
    /// lifecycle layers and plugins, `first` hooks ahead of all.
    fn lifecycle(
        &mut self,
        function: FunctionInfo,
        first: Option<Box<dyn Hook>>,
    ) -> Arc<Lifecycle> {
        let mut hooks = std::mem::take(&mut self.hooks);
        if let Some(first) = first {
            hooks.insert(0, first);
        }
        let (budgets, hooks) =
            self.layered
                .prepare(&self.environment, &function, self.budgets.clone(), hooks);
        let (hooks, plugin_loads) = crate::plugins::attach(hooks, &self.environment);
        let lifecycle = Arc::new(Lifecycle::new(function, hooks, budgets));
        self.layered.attach(&lifecycle);
        for (step, load_time) in &plugin_loads {
            lifecycle.record_step(runtime_engine::Phase::RuntimeStart, step, *load_time);
        }
        lifecycle
    }

    /// Runs the adapter with the assembled lifecycle and pipeline until
    /// `shutdown`, then `End`.
    async fn serve(
        environment: Environment,
        assembled: Assembled,
        shutdown: runtime_engine::CancellationToken,
    ) -> Result<(), Error> {
        let (adapter, lifecycle, pipeline) = assembled;
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
}

impl<L> RuntimeBuilder<L, SingleFunction> {
    /// Adds `handler` as function `name`, the first of several in one
    /// binary; the deployment picks which serves (AWS `_HANDLER`, FC's
    /// handler, SCF's `_HANDLER`, `FUNCTION_TARGET`, `LIGHT_RUNTIME_HANDLER`),
    /// or, where requests are HTTP and none is named, the request path
    /// does (`/orders/...` → `orders`). Then [`run`](RuntimeBuilder::run)
    /// with no argument. See [`crate::functions`] and `docs/functions.md`.
    ///
    /// ```no_run
    /// use light_runtime::{Context, Error, Runtime};
    /// use serde_json::{json, Value};
    ///
    /// async fn orders(event: Value, _ctx: Context) -> Result<Value, Error> {
    ///     Ok(json!({ "order": event["id"] }))
    /// }
    /// async fn users(event: Value, ctx: Context) -> Result<Value, Error> {
    ///     Ok(json!({ "user": event["id"], "served_by": ctx.handler() }))
    /// }
    ///
    /// #[tokio::main(flavor = "current_thread")]
    /// async fn main() -> Result<(), light_runtime::RuntimeError> {
    ///     Runtime::builder()
    ///         .function("orders", orders)
    ///         .function("users", users)
    ///         .run()
    ///         .await
    /// }
    /// ```
    pub fn function<H, M>(self, name: &str, handler: H) -> RuntimeBuilder<L, Functions>
    where
        H: Handler<M>,
        H::Error: 'static,
    {
        let mut functions = Functions::new();
        functions.add(name, handler);
        self.with_functions(functions)
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
        let assembled = crate::diagnostics::during_setup(&environment, || self.assemble(handler))?;
        Self::serve(environment, assembled, shutdown).await
    }

    /// Detects the platform and builds the lifecycle and the pipeline:
    /// everything before the adapter runs, with no `.await`.
    fn assemble<H, M>(mut self, handler: H) -> Result<Assembled, Error>
    where
        H: Handler<M>,
        L: Layer<HookService<H::Service>>,
        L::Service: Pipeline,
    {
        let (adapter, function) = self.platform_and_function()?;
        let lifecycle = self.lifecycle(function, None);
        let pipeline = BoxPipeline::new(
            self.layered.stack().layer(
                self.layers
                    .layer(lifecycle.layer().layer(handler.into_service())),
            ),
        );
        Ok((adapter, lifecycle, pipeline))
    }
}

impl<L> RuntimeBuilder<L, Functions> {
    /// Adds `handler` as function `name`; see
    /// [`function`](RuntimeBuilder::function) on the builder without functions.
    pub fn function<H, M>(mut self, name: &str, handler: H) -> Self
    where
        H: Handler<M>,
        H::Error: 'static,
    {
        self.functions.add(name, handler);
        self
    }

    /// Serves the functions until shutdown, the one the deployment picks
    /// (or each request's, routed by path). Resolves as
    /// [`run(handler)`](RuntimeBuilder::run) does; a deployment that names
    /// a function the binary does not have fails `RuntimeStart`, reported
    /// to the platform like any init failure, with the names the binary has.
    pub async fn run(self) -> Result<(), Error>
    where
        L: Layer<HookService<Dispatch>>,
        L::Service: Pipeline,
    {
        let shutdown = shutdown::on_signal();
        self.run_until(shutdown).await
    }

    /// Like [`run`](Self::run), but shuts down when `shutdown` is cancelled
    /// instead of on signals.
    pub async fn run_until(self, shutdown: runtime_engine::CancellationToken) -> Result<(), Error>
    where
        L: Layer<HookService<Dispatch>>,
        L::Service: Pipeline,
    {
        let environment = self.environment.clone();
        let assembled = crate::diagnostics::during_setup(&environment, || self.assemble())?;
        Self::serve(environment, assembled, shutdown).await
    }

    /// [`assemble`](RuntimeBuilder::assemble) for several functions: the
    /// deployment's choice goes into the function's facts (or its failure
    /// into the first hook), `Dispatch` is the handler the hooks wrap, and
    /// `Route` the outermost service.
    fn assemble(mut self) -> Result<Assembled, Error>
    where
        L: Layer<HookService<Dispatch>>,
        L::Service: Pipeline,
    {
        let (adapter, function) = self.platform_and_function()?;
        let functions = std::mem::replace(&mut self.functions, Functions::new());
        let mut selected = functions.select(function.platform, &self.environment);
        let function = selected.describe(function);
        let failure = selected
            .failure
            .take()
            .map(|failure| Box::new(failure) as Box<dyn Hook>);
        let lifecycle = self.lifecycle(function, failure);
        let pipeline = BoxPipeline::new(selected.pipeline(&lifecycle, |dispatch| {
            self.layered
                .stack()
                .layer(self.layers.layer(lifecycle.layer().layer(dispatch)))
        }));
        Ok((adapter, lifecycle, pipeline))
    }
}
