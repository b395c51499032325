//! [`Metrics`]: records each invocation into in-memory instruments.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use opentelemetry::KeyValue;
use runtime_engine::{Initialization, Invocation, Outcome};
use tokio::time::Instant;
use tower_service::Service;

use super::state::MetricsState;
use crate::otel::schedule::StrictExport;
use crate::otel::Busy;

/// Counts invocations, errors by type and cold starts, and records the
/// duration, when each invocation's outcome is known (for a streamed
/// response, when its stream ends). Nothing is exported here (that happens
/// at `Freeze`, `Close` and, where the platform freezes without notice, in
/// the background once idle), except with
/// `LIGHT_RUNTIME_TELEMETRY_FLUSH=strict`: the last invocation in flight
/// exports before its response is returned.
#[derive(Clone, Debug)]
pub struct Metrics<S> {
    inner: S,
    state: Arc<MetricsState>,
}

impl<S> Metrics<S> {
    pub(super) fn new(inner: S, state: Arc<MetricsState>) -> Self {
        Metrics { inner, state }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> Service<Invocation> for Metrics<S>
where
    S: Service<Invocation, Response = Outcome>,
{
    type Response = Outcome;
    type Error = S::Error;
    type Future = MetricsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let record = self.state.pipeline.get().is_some().then(|| Record {
            state: self.state.clone(),
            started: Instant::now(),
            cold_start: invocation
                .context
                .is_cold_start()
                .then(|| invocation.context.initialization()),
            trigger: invocation.context.trigger().as_str(),
            busy: self.state.schedule.start(),
        });
        MetricsFuture {
            inner: self.inner.call(invocation),
            record,
            strict: None,
        }
    }
}

struct Record {
    state: Arc<MetricsState>,
    started: Instant,
    /// On a cold start, how the instance was initialised.
    cold_start: Option<Initialization>,
    trigger: &'static str,
    /// Counted in flight for the schedule, where it counts.
    busy: Option<Busy>,
}

pin_project_lite::pin_project! {
    /// The future of [`Metrics`]: the inner future, then one record (and,
    /// strict, the export before the response).
    pub struct MetricsFuture<F> {
        #[pin]
        inner: F,
        record: Option<Record>,
        // The strict export due before the response, and the response.
        strict: Option<(StrictExport, Outcome)>,
    }
}

impl<F> std::fmt::Debug for MetricsFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsFuture")
    }
}

impl<F, E> Future for MetricsFuture<F>
where
    F: Future<Output = Result<Outcome, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some((export, _)) = this.strict.as_mut() {
            std::task::ready!(export.as_mut().poll(cx));
            let (_, outcome) = this.strict.take().expect("checked above");
            return Poll::Ready(Ok(outcome));
        }
        let result = std::task::ready!(this.inner.poll(cx));
        let Some(record) = this.record.take() else {
            return Poll::Ready(result);
        };
        let strict = match &result {
            // A streamed invocation ends with its stream: its duration and
            // error are known then, after the response has begun, so even
            // strict leaves its export to the schedule.
            Ok(Outcome::Response(response)) if response.is_stream() => {
                response.at_stream_end(move |outcome| drop(record.finish(Ok(outcome))));
                None
            }
            Ok(outcome) => record.finish(Ok(outcome)),
            Err(_) => record.finish(Err(())),
        };
        match (strict, result) {
            (Some(mut export), Ok(outcome)) => {
                if export.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Ok(outcome));
                }
                *this.strict = Some((export, outcome));
                Poll::Pending
            }
            // A failure below this layer is answered at once; the
            // schedule exports its record once idle.
            (_, result) => Poll::Ready(result),
        }
    }
}

impl Record {
    /// Records the invocation (`Err` when the layers below failed); returns
    /// the strict export due before its response, if any.
    fn finish(self, outcome: Result<&Outcome, ()>) -> Option<StrictExport> {
        let busy = self.busy;
        let Some(pipeline) = self.state.pipeline.get() else {
            return busy.and_then(Busy::end);
        };
        let instruments = &pipeline.instruments;
        instruments
            .invocations
            .add(1, &[KeyValue::new("faas.trigger", self.trigger)]);
        // Tells a cold start a caller waited for (`on-demand`) from one
        // prepared ahead (`provisioned-concurrency`, `snap-start`).
        if let Some(initialization) = self.cold_start {
            instruments
                .coldstarts
                .add(1, &[KeyValue::new("initialization", initialization.name())]);
        }
        instruments
            .duration
            .record(self.started.elapsed().as_secs_f64(), &[]);
        let error_type = match outcome {
            Ok(Outcome::Error(error)) => Some(error.error_type().to_owned()),
            Ok(Outcome::Response(_)) => None,
            Err(()) => Some("Runtime.LayerError".to_owned()),
        };
        if let Some(error_type) = error_type {
            instruments
                .errors
                .add(1, &[KeyValue::new("error.type", error_type)]);
        }
        busy.and_then(Busy::end)
    }
}
