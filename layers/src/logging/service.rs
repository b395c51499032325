//! [`Logging`]: runs each invocation inside its `invocation` span.

use std::task::{Context as TaskContext, Poll};

use runtime_engine::Invocation;
use tower_service::Service;
use tracing::instrument::Instrumented;
use tracing::Instrument;

use super::INVOCATION_TARGET;

/// Runs each invocation inside an `invocation` span carrying `requestId`
/// and `functionName` (and, where they apply, `handler`, `tenantId` and,
/// on a cold start, `initializationType`), so every line logged while it
/// runs names them.
///
/// The span is at `error` level so that it is enabled whenever any line is.
#[derive(Clone, Debug)]
pub struct Logging<S> {
    inner: S,
    log_payloads: bool,
}

impl<S> Logging<S> {
    /// Wraps `inner`; with `log_payloads`, each payload is logged at `debug`.
    pub fn new(inner: S, log_payloads: bool) -> Self {
        Logging {
            inner,
            log_payloads,
        }
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

impl<S> Service<Invocation> for Logging<S>
where
    S: Service<Invocation>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Instrumented<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let context = &invocation.context;
        let span = tracing::error_span!(
            target: INVOCATION_TARGET,
            "invocation",
            requestId = context.request_id(),
            functionName = context.function_name(),
            handler = context.handler(),
            tenantId = context.tenant_id(),
            // Only the cold start's lines say how the instance was made.
            initializationType = context
                .is_cold_start()
                .then(|| context.initialization().name()),
        );
        if self.log_payloads {
            span.in_scope(|| {
                tracing::debug!(
                    target: "light_runtime::payload",
                    payload = %String::from_utf8_lossy(&invocation.payload),
                    "invocation payload"
                )
            });
        }
        self.inner.call(invocation).instrument(span)
    }
}
