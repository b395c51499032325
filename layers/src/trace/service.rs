//! [`Tracing`]: one span per invocation, current while the handler runs.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
    Tracer as _,
};
use opentelemetry::{Context, KeyValue};
use runtime_engine::{Invocation, Outcome};
use tower_service::Service;

use super::state::TracingState;
use crate::otel::schedule::StrictExport;
use crate::otel::Busy;

/// Starts the invocation's span, makes it the current OpenTelemetry context
/// while the inner service runs, and ends it with the outcome.
#[derive(Clone, Debug)]
pub struct Tracing<S> {
    inner: S,
    state: Arc<TracingState>,
}

impl<S> Tracing<S> {
    pub(super) fn new(inner: S, state: Arc<TracingState>) -> Self {
        Tracing { inner, state }
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

impl<S> Service<Invocation> for Tracing<S>
where
    S: Service<Invocation, Response = Outcome>,
{
    type Response = Outcome;
    type Error = S::Error;
    type Future = TracingFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let Some(pipeline) = self.state.pipeline.get() else {
            return TracingFuture {
                inner: self.inner.call(invocation),
                cx: None,
                busy: None,
                strict: None,
            };
        };
        let ctx = &invocation.context;
        let parent = match ctx.trace() {
            Some(trace) => Context::new().with_remote_span_context(SpanContext::new(
                TraceId::from_bytes(trace.trace_id),
                SpanId::from_bytes(trace.parent_id),
                if trace.sampled {
                    TraceFlags::SAMPLED
                } else {
                    TraceFlags::default()
                },
                true,
                TraceState::default(),
            )),
            None => Context::new(),
        };
        let mut attributes = Vec::with_capacity(12);
        attributes.push(KeyValue::new(
            "faas.invocation_id",
            ctx.request_id().to_owned(),
        ));
        attributes.push(KeyValue::new("faas.coldstart", ctx.is_cold_start()));
        // Whether the cold start made the caller wait for init (on demand)
        // or found it done ahead (provisioned, SnapStart); no semantic
        // convention names it.
        if ctx.is_cold_start() {
            attributes.push(KeyValue::new(
                "light_runtime.initialization",
                ctx.initialization().name(),
            ));
        }
        // The name lambda_runtime's OpenTelemetry layer uses; no semantic
        // convention names a tenant.
        if let Some(tenant) = ctx.tenant_id() {
            attributes.push(KeyValue::new("tenant_id", tenant.to_owned()));
        }
        attributes.push(KeyValue::new("faas.trigger", ctx.trigger().as_str()));
        attributes.push(KeyValue::new("faas.name", ctx.function_name().to_owned()));
        // `faas.name` is the deployed function; in a binary of several
        // functions, which one served (no semantic convention names it).
        if let Some(handler) = ctx.handler() {
            attributes.push(KeyValue::new("light_runtime.handler", handler.to_owned()));
        }
        attributes.push(KeyValue::new(
            "faas.version",
            ctx.function_version().to_owned(),
        ));
        if let Some(provider) = ctx.platform().cloud_provider() {
            attributes.push(KeyValue::new("cloud.provider", provider));
        }
        if let Some(region) = ctx.region() {
            attributes.push(KeyValue::new("cloud.region", region.to_owned()));
        }
        if let Some(account) = ctx.account_id() {
            attributes.push(KeyValue::new("cloud.account.id", account.to_owned()));
        }
        if let Some(arn) = ctx.invoked_function_arn() {
            attributes.push(KeyValue::new("cloud.resource_id", arn.to_owned()));
        }
        let span = pipeline
            .tracer
            .span_builder(ctx.function_name().to_owned())
            .with_kind(SpanKind::Server)
            .with_attributes(attributes)
            .start_with_context(&pipeline.tracer, &parent);
        let cx = parent.with_span(span);
        let inner = {
            let _current = cx.clone().attach();
            self.inner.call(invocation)
        };
        TracingFuture {
            inner,
            cx: Some(cx),
            busy: self.state.schedule.start(),
            strict: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Tracing`]: polls the inner future with the span
    /// current (and, strict, exports before the response).
    pub struct TracingFuture<F> {
        #[pin]
        inner: F,
        cx: Option<Context>,
        // Counted in flight for the schedule, where it counts.
        busy: Option<Busy>,
        // The strict export due before the response, and the response.
        strict: Option<(StrictExport, Outcome)>,
    }
}

impl<F> std::fmt::Debug for TracingFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TracingFuture")
    }
}

impl<F, E> Future for TracingFuture<F>
where
    F: Future<Output = Result<Outcome, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some((export, _)) = this.strict.as_mut() {
            std::task::ready!(export.as_mut().poll(task));
            let (_, outcome) = this.strict.take().expect("checked above");
            return Poll::Ready(Ok(outcome));
        }
        let Some(cx) = this.cx.as_ref() else {
            return this.inner.poll(task);
        };
        let result = {
            let _current = cx.clone().attach();
            std::task::ready!(this.inner.poll(task))
        };
        let Some(cx) = this.cx.take() else {
            return Poll::Ready(result);
        };
        let busy = this.busy.take();
        match &result {
            // A streamed invocation's span lasts until its stream ends,
            // and says how it ended; it ends after the response has
            // begun, so even strict leaves its export to the schedule.
            Ok(Outcome::Response(response)) if response.is_stream() => {
                response.at_stream_end(move |outcome| {
                    end_span(&cx, Ok(outcome));
                    drop(busy.and_then(Busy::end));
                });
                return Poll::Ready(result);
            }
            Ok(outcome) => end_span(&cx, Ok(outcome)),
            Err(_) => end_span(&cx, Err(())),
        }
        match (busy.and_then(Busy::end), result) {
            (Some(mut export), Ok(outcome)) => {
                if export.as_mut().poll(task).is_ready() {
                    return Poll::Ready(Ok(outcome));
                }
                *this.strict = Some((export, outcome));
                Poll::Pending
            }
            // A failure below this layer is answered at once; the
            // schedule exports its span once idle.
            (_, result) => Poll::Ready(result),
        }
    }
}

/// Ends the invocation's span with its outcome; `Err` when a layer below
/// failed.
fn end_span(cx: &Context, outcome: Result<&Outcome, ()>) {
    let span = cx.span();
    match outcome {
        Ok(Outcome::Response(_)) => {}
        Ok(Outcome::Error(error)) => {
            span.set_attribute(KeyValue::new("error.type", error.error_type().to_owned()));
            span.set_status(Status::error(error.message().to_owned()));
        }
        Err(()) => {
            span.set_attribute(KeyValue::new("error.type", "Runtime.LayerError"));
            span.set_status(Status::error("a layer failed"));
        }
    }
    span.end();
}
