//! [`MetricsLayer`] and the hook that initialises and flushes it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use runtime_engine::Environment;
use runtime_engine::{BoxError, FunctionInfo, Hook, Lifecycle};
use tower_layer::Layer;

use super::pipeline::MeterPipeline;
use super::service::Metrics;
use super::state::MetricsState;
use crate::otel::{self, Delivery, OtelVariables, Schedule};
use crate::LifecycleLayer;

/// The specification's default for `OTEL_METRIC_EXPORT_INTERVAL`.
const METRIC_EXPORT_INTERVAL: Duration = Duration::from_secs(60);

/// Records invocation metrics; see the [module docs](super).
///
/// ```
/// use light_runtime_layers::MetricsLayer;
/// // OTEL_EXPORTER_OTLP_ENDPOINT set: OTLP/HTTP; otherwise JSON lines on stdout.
/// let metrics = MetricsLayer::from_env();
/// assert_eq!(metrics.dropped(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct MetricsLayer {
    pub(super) state: Arc<MetricsState>,
}

impl MetricsLayer {
    /// Reads the `OTEL_*` variables of the process environment.
    pub fn from_env() -> Self {
        Self::from_environment(&Environment::process())
    }

    /// Reads the `OTEL_*` variables of `env`: the endpoint, timeout,
    /// headers, exporter, temporality, service name and resource
    /// attributes; and when to export where the platform freezes without
    /// notice: `LIGHT_RUNTIME_TELEMETRY_FLUSH`,
    /// `LIGHT_RUNTIME_TELEMETRY_IDLE_DELAY`, `OTEL_METRIC_EXPORT_INTERVAL`.
    pub fn from_environment(env: &Environment) -> Self {
        MetricsLayer {
            state: Arc::new(MetricsState {
                variables: OtelVariables::from_environment(env),
                pipeline: OnceLock::new(),
                delivery: Delivery::new("metric data points"),
                schedule: Arc::new(Schedule::from_environment(
                    env,
                    "OTEL_METRIC_EXPORT_INTERVAL",
                    METRIC_EXPORT_INTERVAL,
                )),
            }),
        }
    }

    /// Builds the meter pipeline for `function`, if not built yet. The hook
    /// does this at `RuntimeStart`; call it yourself only without a runtime.
    ///
    /// `Err` when metrics go to OTLP and an `OTEL_EXPORTER_OTLP_*` variable
    /// cannot be served (an unknown protocol, a malformed header, an
    /// unreadable certificate); the message names the variable. The hook
    /// makes it the runtime's init error.
    pub fn init(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        let pipeline = self
            .state
            .pipeline
            .get_or_init(|| MeterPipeline::build(function, &self.state.variables));
        match &pipeline.problem {
            None => Ok(()),
            Some(problem) => Err(format!("the metrics layer cannot export: {problem}").into()),
        }
    }

    /// Collects and exports now, as the hook does at `Freeze`
    /// (`closing = false`, skipped while backing off after a failure) and
    /// at `Close` (`closing = true`, always tried).
    pub async fn flush(&self, closing: bool) {
        if let Some(pipeline) = self.state.pipeline.get() {
            pipeline.flush(&self.state.delivery, closing).await;
        }
    }

    /// Metric data points dropped because the exporter failed.
    pub fn dropped(&self) -> u64 {
        self.state.delivery.dropped_total()
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = Metrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Metrics::new(inner, self.state.clone())
    }
}

impl LifecycleLayer for MetricsLayer {
    fn name(&self) -> &'static str {
        "metrics"
    }

    fn hook(&self) -> Option<Box<dyn Hook>> {
        Some(Box::new(otel::ExportHook(self.clone())))
    }

    fn attach(&self, lifecycle: &Arc<Lifecycle>) {
        self.state.delivery.attach(lifecycle);
    }
}

impl otel::Exporting for MetricsLayer {
    const NAME: &'static str = "metrics";

    fn init(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        MetricsLayer::init(self, function)
    }

    fn schedule(&self) -> &Arc<Schedule> {
        &self.state.schedule
    }

    fn flush(&self, closing: bool) -> impl std::future::Future<Output = ()> + Send + '_ {
        MetricsLayer::flush(self, closing)
    }
}
