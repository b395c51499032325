//! The meter provider, its instruments, and collecting and exporting them.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use opentelemetry::metrics::{Counter, Histogram, MeterProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{
    InstrumentKind, ManualReader, Pipeline, SdkMeterProvider, Temporality,
};
use runtime_engine::{FunctionInfo, Phase, Platform};

use super::console;
use crate::otel::otlp::{self, OtlpExport};
use crate::otel::otlp_settings::Signal;
use crate::otel::{self, Delivery, ExporterKind, OtelVariables};

/// The instruments the service records into.
#[derive(Debug)]
pub(super) struct Instruments {
    pub(super) invocations: Counter<u64>,
    pub(super) errors: Counter<u64>,
    pub(super) duration: Histogram<f64>,
    pub(super) coldstarts: Counter<u64>,
    init_duration: Histogram<f64>,
    phase_duration: Counter<f64>,
}

/// Where collected metrics go.
enum Sink {
    Otlp(Box<OtlpExport>),
    Console { emf: bool, namespace: String },
    None,
}

/// A built pipeline: provider, reader, instruments, sink.
pub(super) struct MeterPipeline {
    _provider: SdkMeterProvider,
    reader: ManualReaderHandle,
    pub(super) instruments: Instruments,
    sink: Sink,
    function_name: String,
    /// Phase totals at the previous flush, to record deltas; `None` until
    /// init duration has been recorded.
    last_phases: Mutex<Option<[Duration; Phase::COUNT]>>,
    /// The previous collection, refilled by the next.
    collected: Mutex<ResourceMetrics>,
    /// `phase = <name>` for each phase, built once.
    phase_attributes: [[KeyValue; 1]; Phase::COUNT],
    /// Why the OTLP export cannot be built, naming the variable: the
    /// hook's init error.
    pub(super) problem: Option<String>,
}

impl std::fmt::Debug for MeterPipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsPipeline").finish_non_exhaustive()
    }
}

/// A handle to the manual reader: the provider holds one, the pipeline
/// collects through the other.
#[derive(Clone, Debug)]
pub(crate) struct ManualReaderHandle(pub(crate) Arc<ManualReader>);

impl MetricReader for ManualReaderHandle {
    fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
        self.0.register_pipeline(pipeline)
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

impl MeterPipeline {
    /// Builds the pipeline for `function`. An exporter that cannot be built
    /// (bad headers, an unreadable certificate, ...) leaves a
    /// [`problem`](Self::problem), which fails the runtime's init.
    pub(super) fn build(function: &FunctionInfo, variables: &OtelVariables) -> Self {
        let temporality = if variables.cumulative {
            Temporality::Cumulative
        } else {
            Temporality::Delta
        };
        let reader = ManualReaderHandle(Arc::new(
            ManualReader::builder()
                .with_temporality(temporality)
                .build(),
        ));
        let resource = otel::resource(function, variables);
        let provider = SdkMeterProvider::builder()
            .with_resource(resource.clone())
            .with_reader(reader.clone())
            .build();
        let meter = provider.meter("light-runtime");
        let instruments = Instruments {
            invocations: meter
                .u64_counter("faas.invocations")
                .with_unit("{invocation}")
                .build(),
            errors: meter
                .u64_counter("faas.errors")
                .with_unit("{error}")
                .build(),
            duration: meter
                .f64_histogram("faas.invoke_duration")
                .with_unit("s")
                .build(),
            coldstarts: meter
                .u64_counter("faas.coldstarts")
                .with_unit("{coldstart}")
                .build(),
            init_duration: meter
                .f64_histogram("faas.init_duration")
                .with_unit("s")
                .build(),
            phase_duration: meter
                .f64_counter("light_runtime.phase.duration")
                .with_unit("s")
                .build(),
        };
        let mut problem = None;
        let sink = match variables.metrics_exporter {
            ExporterKind::Otlp => match variables
                .otlp_settings(Signal::Metrics)
                .and_then(|settings| OtlpExport::new(&settings, &resource))
            {
                Ok(export) => Sink::Otlp(Box::new(export)),
                Err(reason) => {
                    problem = Some(reason);
                    Sink::None
                }
            },
            ExporterKind::Console => Sink::Console {
                emf: function.platform == Platform::AwsLambda,
                namespace: variables
                    .service_name
                    .clone()
                    .unwrap_or_else(|| "light-runtime".into()),
            },
            ExporterKind::None => Sink::None,
        };
        MeterPipeline {
            _provider: provider,
            reader,
            instruments,
            sink,
            function_name: function.name.to_string(),
            last_phases: Mutex::new(None),
            collected: Mutex::new(ResourceMetrics::default()),
            phase_attributes: Phase::ALL.map(|phase| [KeyValue::new("phase", phase.name())]),
            problem,
        }
    }

    /// Records init duration (once) and each phase's time since the last flush.
    pub(super) fn record_phases(&self, delivery: &Delivery) {
        let Some(lifecycle) = delivery.lifecycle() else {
            return;
        };
        let totals = lifecycle.phase_totals();
        let mut last = self.last_phases.lock().unwrap_or_else(|p| p.into_inner());
        let previous = match *last {
            Some(previous) => previous,
            None => {
                let init = lifecycle.timings().init_duration();
                self.instruments
                    .init_duration
                    .record(init.as_secs_f64(), &[]);
                [Duration::ZERO; Phase::COUNT]
            }
        };
        for phase in Phase::ALL {
            let delta = totals[phase.index()].saturating_sub(previous[phase.index()]);
            if !delta.is_zero() {
                self.instruments
                    .phase_duration
                    .add(delta.as_secs_f64(), &self.phase_attributes[phase.index()]);
            }
        }
        *last = Some(totals);
    }

    /// Collects and exports within the phase's share of its budget.
    pub(super) async fn flush(&self, delivery: &Delivery, closing: bool) {
        if matches!(self.sink, Sink::None) || !delivery.should_try(closing) {
            return;
        }
        self.record_phases(delivery);
        // The SDK refills the previous flush's structures in place.
        let mut collected =
            std::mem::take(&mut *self.collected.lock().unwrap_or_else(|p| p.into_inner()));
        let collection = self.reader.collect(&mut collected);
        let points = console::count_points(&collected);
        let body = match &self.sink {
            Sink::Otlp(export) if collection.is_ok() && points > 0 => {
                Some(export.encode(|encoder, resource| {
                    otlp::encode_metrics(encoder, &collected, resource)
                }))
            }
            Sink::Console { emf, namespace } if collection.is_ok() && points > 0 => {
                let lines = console::lines(&collected, *emf, namespace, &self.function_name);
                console::write_stdout(&lines);
                None
            }
            _ => None,
        };
        *self.collected.lock().unwrap_or_else(|p| p.into_inner()) = collected;
        if let Err(error) = collection {
            tracing::debug!("metrics collection failed: {error}");
        }
        if let (Sink::Otlp(export), Some(body)) = (&self.sink, body) {
            if let Err(reason) = export.deliver(&body, delivery, closing).await {
                delivery.dropped(points, &reason);
            }
            export.recycle(body);
        }
    }
}
