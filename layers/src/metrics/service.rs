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

/// Counts invocations, errors by type and cold starts, and records the
/// duration, when each invocation's outcome is known (for a streamed
/// response, when its stream ends). Nothing is exported here: that happens
/// at `Freeze` and `Close`.
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
        });
        MetricsFuture {
            inner: self.inner.call(invocation),
            record,
        }
    }
}

struct Record {
    state: Arc<MetricsState>,
    started: Instant,
    /// On a cold start, how the instance was initialised.
    cold_start: Option<Initialization>,
    trigger: &'static str,
}

pin_project_lite::pin_project! {
    /// The future of [`Metrics`]: the inner future, then one record.
    pub struct MetricsFuture<F> {
        #[pin]
        inner: F,
        record: Option<Record>,
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
        let result = std::task::ready!(this.inner.poll(cx));
        if let Some(record) = this.record.take() {
            match &result {
                // A streamed invocation ends with its stream: its duration
                // and error are known then.
                Ok(Outcome::Response(response)) if response.is_stream() => {
                    response.at_stream_end(move |outcome| record.finish(Ok(outcome)));
                }
                Ok(outcome) => record.finish(Ok(outcome)),
                Err(_) => record.finish(Err(())),
            }
        }
        Poll::Ready(result)
    }
}

impl Record {
    /// Records the invocation: `Err` when the layers below failed.
    fn finish(self, outcome: Result<&Outcome, ()>) {
        let Some(pipeline) = self.state.pipeline.get() else {
            return;
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
    }
}
