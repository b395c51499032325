//! The tracer provider, the buffering span processor and the export.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    Sampler, SdkTracer, SdkTracerProvider, Span, SpanData, SpanProcessor,
};
use opentelemetry_sdk::Resource;
use runtime_engine::FunctionInfo;

use crate::otel::otlp::{self, OtlpExport};
use crate::otel::otlp_settings::Signal;
use crate::otel::{self, Delivery, ExporterKind, OtelVariables, Schedule};

/// Ended spans kept between flushes, at most.
const BUFFER_CAPACITY: usize = 4096;
/// Ended spans at which the schedule is urged to export, busy or not, so a
/// long-lived instance that is never idle does not reach the capacity
/// before its interval.
const BUFFER_URGE_AT: usize = BUFFER_CAPACITY / 2;

/// A built pipeline: provider, tracer, buffer, exporter.
pub(super) struct TracePipeline {
    provider: SdkTracerProvider,
    pub(super) tracer: SdkTracer,
    buffer: Arc<SpanBuffer>,
    exporter: Option<OtlpExport>,
    /// The resource, for its schema URL in each export.
    resource: Resource,
    /// Why the OTLP export cannot be built, naming the variable: the
    /// hook's init error.
    pub(super) problem: Option<String>,
}

impl std::fmt::Debug for TracePipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracePipeline").finish_non_exhaustive()
    }
}

/// Ended spans waiting for the next flush.
#[derive(Debug, Default)]
struct SpanBuffer {
    spans: Mutex<Vec<SpanData>>,
    /// Spans that did not fit, not yet reported to the delivery.
    overflow: std::sync::atomic::AtomicU64,
}

/// Keeps ended spans in memory; exporting is the hook's and the
/// schedule's job.
#[derive(Debug)]
struct BufferProcessor(Arc<SpanBuffer>, Arc<Schedule>);

impl SpanProcessor for BufferProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        let mut spans = self.0.spans.lock().unwrap_or_else(|p| p.into_inner());
        if spans.len() < BUFFER_CAPACITY {
            spans.push(span);
            if spans.len() == BUFFER_URGE_AT {
                self.1.urge();
            }
        } else {
            self.0
                .overflow
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        // Exports happen at Freeze and Close, on the runtime, within budget.
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

impl TracePipeline {
    /// Builds the pipeline for `function`. An exporter that cannot be built
    /// leaves a [`problem`](Self::problem), which fails the runtime's init;
    /// spans are still made meanwhile (user spans still nest) but not sent.
    pub(super) fn build(
        function: &FunctionInfo,
        variables: &OtelVariables,
        schedule: &Arc<Schedule>,
    ) -> Self {
        let resource = otel::resource(function, variables);
        let (exporter, problem) = match variables.traces_exporter {
            ExporterKind::Otlp => match variables
                .otlp_settings(Signal::Traces)
                .and_then(|settings| OtlpExport::new(&settings, &resource))
            {
                Ok(export) => (Some(export), None),
                Err(reason) => (None, Some(reason)),
            },
            ExporterKind::Console | ExporterKind::None => (None, None),
        };
        let buffer = Arc::new(SpanBuffer::default());
        let ratio = Sampler::TraceIdRatioBased(variables.sampler_ratio);
        let sampler = match variables.sampler {
            "always_on" => Sampler::AlwaysOn,
            "always_off" => Sampler::AlwaysOff,
            "traceidratio" => ratio,
            "parentbased_always_off" => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
            "parentbased_traceidratio" => Sampler::ParentBased(Box::new(ratio)),
            _ => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        };
        let provider = SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_sampler(sampler)
            .with_id_generator(super::ids::RestoreSafeIds)
            .with_span_processor(BufferProcessor(buffer.clone(), schedule.clone()))
            .build();
        let tracer = provider.tracer("light-runtime");
        TracePipeline {
            provider,
            tracer,
            buffer,
            exporter,
            resource,
            problem,
        }
    }

    /// The provider, for the `tracing` bridge.
    pub(super) fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }

    /// Exports the buffered spans within the phase's share of its budget.
    pub(super) async fn flush(&self, delivery: &Delivery, closing: bool) {
        let overflow = self
            .buffer
            .overflow
            .swap(0, std::sync::atomic::Ordering::Relaxed);
        delivery.dropped(overflow, "the span buffer was full");
        let Some(exporter) = &self.exporter else {
            // Nowhere to send them: keep memory flat.
            self.buffer
                .spans
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
            return;
        };
        if !delivery.should_try(closing) {
            return;
        }
        let batch =
            std::mem::take(&mut *self.buffer.spans.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.is_empty() {
            return;
        }
        let body = exporter.encode(|encoder, encoded_resource| {
            otlp::encode_spans(encoder, &batch, &self.resource, encoded_resource)
        });
        let delivered = exporter.deliver(&body, delivery, closing).await;
        exporter.recycle(body);
        let Err(reason) = delivered else {
            return;
        };
        if closing {
            delivery.dropped(batch.len() as u64, &reason);
            return;
        }
        // Put them back in front of newer spans, for the next flush.
        let mut spans = self.buffer.spans.lock().unwrap_or_else(|p| p.into_inner());
        let newer = std::mem::replace(&mut *spans, batch);
        spans.extend(newer);
        if spans.len() > BUFFER_CAPACITY {
            let excess = spans.len() - BUFFER_CAPACITY;
            spans.drain(..excess);
            delivery.dropped(excess as u64, &reason);
        }
    }
}
