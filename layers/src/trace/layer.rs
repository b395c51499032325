//! [`TracingLayer`], its hook and its `tracing` bridge.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use runtime_engine::Environment;
use runtime_engine::{BoxError, FunctionInfo, Hook, Lifecycle};
use tower_layer::Layer;
use tracing_subscriber::filter::{filter_fn, LevelFilter};
use tracing_subscriber::Layer as _;

use super::pipeline::TracePipeline;
use super::service::Tracing;
use super::state::TracingState;
use crate::otel::{self, Delivery, OtelVariables, Schedule};
use crate::subscriber::SubscriberLayer;
use crate::{LifecycleLayer, INVOCATION_SPAN_TARGET};

/// The specification's default for `OTEL_BSP_SCHEDULE_DELAY`.
const BSP_SCHEDULE_DELAY: Duration = Duration::from_secs(5);

/// Makes one span per invocation; see the [module docs](super).
///
/// ```
/// use light_runtime_layers::TracingLayer;
/// // Exports to OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces) when it is set.
/// let tracing = TracingLayer::from_env();
/// assert_eq!(tracing.dropped(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct TracingLayer {
    pub(super) state: Arc<TracingState>,
}

impl TracingLayer {
    /// Reads the `OTEL_*` variables of the process environment.
    pub fn from_env() -> Self {
        Self::from_environment(&Environment::process())
    }

    /// Reads the `OTEL_*` variables of `env`: endpoint, timeout, headers,
    /// exporter, sampler, service name and resource attributes; and when
    /// to export where the platform freezes without notice:
    /// `LIGHT_RUNTIME_TELEMETRY_FLUSH`, `LIGHT_RUNTIME_TELEMETRY_IDLE_DELAY`,
    /// `OTEL_BSP_SCHEDULE_DELAY`.
    pub fn from_environment(env: &Environment) -> Self {
        TracingLayer {
            state: Arc::new(TracingState {
                variables: OtelVariables::from_environment(env),
                pipeline: OnceLock::new(),
                delivery: Delivery::new("spans"),
                schedule: Arc::new(Schedule::from_environment(
                    env,
                    "OTEL_BSP_SCHEDULE_DELAY",
                    BSP_SCHEDULE_DELAY,
                )),
            }),
        }
    }

    fn pipeline(&self, function: &FunctionInfo) -> &TracePipeline {
        self.state.pipeline.get_or_init(|| {
            TracePipeline::build(function, &self.state.variables, &self.state.schedule)
        })
    }

    /// Builds the tracer for `function`, if not built yet. The hook does this
    /// at `RuntimeStart`; call it yourself only without a runtime.
    ///
    /// `Err` when spans go to OTLP and an `OTEL_EXPORTER_OTLP_*` variable
    /// cannot be served (an unknown protocol, a malformed header, an
    /// unreadable certificate); the message names the variable. The hook
    /// makes it the runtime's init error.
    pub fn init(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        match &self.pipeline(function).problem {
            None => Ok(()),
            Some(problem) => Err(format!("the tracing layer cannot export: {problem}").into()),
        }
    }

    /// Exports the spans ended so far, as the hook does at `Freeze`
    /// (`closing = false`) and `Close` (`closing = true`).
    pub async fn flush(&self, closing: bool) {
        if let Some(pipeline) = self.state.pipeline.get() {
            pipeline.flush(&self.state.delivery, closing).await;
        }
    }

    /// Spans dropped: the buffer was full or the exporter failed at `Close`.
    pub fn dropped(&self) -> u64 {
        self.state.delivery.dropped_total()
    }
}

impl<S> Layer<S> for TracingLayer {
    type Service = Tracing<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Tracing::new(inner, self.state.clone())
    }
}

impl LifecycleLayer for TracingLayer {
    fn name(&self) -> &'static str {
        "tracing"
    }

    /// `tracing-opentelemetry`, so the user's `tracing` spans (at `info` and
    /// above) nest under the invocation's span. The logging layer's own
    /// per-invocation span is left out.
    fn subscriber_layer(&self, function: &FunctionInfo) -> Option<SubscriberLayer> {
        let tracer = self
            .pipeline(function)
            .provider()
            .tracer("light-runtime.tracing");
        let filter = filter_fn(|meta| {
            meta.target() != INVOCATION_SPAN_TARGET && *meta.level() <= LevelFilter::INFO
        });
        let bridge = tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(filter);
        Some(SubscriberLayer::new(bridge))
    }

    fn hook(&self) -> Option<Box<dyn Hook>> {
        Some(Box::new(otel::ExportHook(self.clone())))
    }

    fn attach(&self, lifecycle: &Arc<Lifecycle>) {
        self.state.delivery.attach(lifecycle);
    }
}

impl otel::Exporting for TracingLayer {
    const NAME: &'static str = "tracing";

    fn init(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        TracingLayer::init(self, function)
    }

    fn schedule(&self) -> &Arc<Schedule> {
        &self.state.schedule
    }

    fn flush(&self, closing: bool) -> impl std::future::Future<Output = ()> + Send + '_ {
        TracingLayer::flush(self, closing)
    }
}
