//! [`HookService`]: `BeforeInvoke` → `Invoke` → `AfterInvoke` around a handler.
//!
//! It owns the invocation guarantees: the hooks run through the phase
//! runner, the handler runs under the deadline minus the safety margin
//! (`invoke.rs`), and whatever happens the caller gets exactly one
//! [`Outcome`] (the service never fails). The handler's error is an
//! [`InvocationError`], or converts into one.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::error::InvocationError;
use crate::hook::Flow;
use crate::invocation::{Invocation, Outcome, Response};
use crate::invoke::invoke;
use crate::lifecycle::Lifecycle;
use crate::phase::Phase;
use crate::phase_runner::HookCall;

// Here rather than in `lifecycle.rs`, beside the layer it makes, so that
// the lifecycle does not depend on this module that depends on it.
impl Lifecycle {
    /// The tower layer that runs `BeforeInvoke`, `Invoke` and `AfterInvoke`
    /// around a handler service.
    pub fn layer(self: &Arc<Self>) -> HookLayer {
        HookLayer::new(self.clone())
    }
}

/// Wraps a handler service in a [`HookService`].
#[derive(Clone, Debug)]
pub struct HookLayer {
    lifecycle: Arc<Lifecycle>,
}

impl HookLayer {
    /// A layer running `lifecycle`'s hooks.
    pub fn new(lifecycle: Arc<Lifecycle>) -> Self {
        HookLayer { lifecycle }
    }
}

impl<S> Layer<S> for HookLayer {
    type Service = HookService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HookService {
            inner,
            lifecycle: self.lifecycle.clone(),
        }
    }
}

/// Runs the per-invocation hooks and the handler; see the module docs.
#[derive(Clone, Debug)]
pub struct HookService<S> {
    inner: S,
    lifecycle: Arc<Lifecycle>,
}

impl<S> HookService<S> {
    /// Wraps `inner` with `lifecycle`'s hooks.
    pub fn new(inner: S, lifecycle: Arc<Lifecycle>) -> Self {
        HookService { inner, lifecycle }
    }

    /// The handler service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The handler service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The handler service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> Service<Invocation> for HookService<S>
where
    S: Service<Invocation, Response = Response> + Clone + Send + 'static,
    S::Error: Into<InvocationError>,
    S::Future: Send,
{
    type Response = Outcome;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Outcome, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness of the handler is awaited inside `call`, so that a handler
        // that is not ready still yields exactly one outcome for the invocation.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let inner = self.inner.clone();
        let lifecycle = self.lifecycle.clone();
        Box::pin(async move { Ok(run_invocation(&lifecycle, inner, invocation).await) })
    }
}

/// One invocation's three phases; the handler is skipped when a
/// `BeforeInvoke` hook answers or fails.
async fn run_invocation<S>(
    lifecycle: &Arc<Lifecycle>,
    handler: S,
    mut invocation: Invocation,
) -> Outcome
where
    S: Service<Invocation, Response = Response>,
    S::Error: Into<InvocationError>,
{
    let runner = &lifecycle.runner;
    let mut answer = None;
    let before = runner.phase(Phase::BeforeInvoke).run_sync(|hook| {
        match hook.on_before_invoke(&mut invocation) {
            Ok(Flow::Continue) => HookCall::from(Ok(())),
            Ok(Flow::Respond(outcome)) => {
                answer = Some(outcome);
                HookCall::Answered
            }
            Err(error) => HookCall::from(Err(error)),
        }
    });
    if let Some(failure) = &before.failure {
        answer = Some(Outcome::Error(InvocationError::hook(failure.to_string())));
    }
    // The hooks up to the one that stopped BeforeInvoke have entered the
    // onion, and so leave it through AfterInvoke.
    let entered = before.stopped_at.map_or(usize::MAX, |index| index + 1);

    let context = invocation.context.clone();
    // Each phase starts where the previous one ended: one clock read per
    // boundary.
    let (mut outcome, invoke_end) = match answer {
        Some(outcome) => (outcome, None),
        None => {
            let (outcome, end) =
                invoke(lifecycle, handler, invocation, &context, before.ended_at).await;
            (outcome, Some(end))
        }
    };

    if let Some(slot) = outcome.response().and_then(Response::stream_slot) {
        if lifecycle.has_hooks_for(Phase::AfterInvoke) || context.deadline().is_some() {
            return defer_to_stream_end(lifecycle, slot.clone(), context, entered, outcome);
        }
    }
    runner
        .phase(Phase::AfterInvoke)
        .starting_at(invoke_end)
        .hooks_before(entered)
        .for_request(context.request_id())
        .run_sync(|hook| hook.on_after_invoke(&context, &mut outcome).into());
    outcome
}

/// A streamed response's `AfterInvoke` runs when its stream ends (see
/// `crate::streaming`), which must be before the deadline less the
/// safety margin; the hooks see how the stream ended. If the body was
/// taken already (a layer sent it), they run now.
fn defer_to_stream_end(
    lifecycle: &Arc<Lifecycle>,
    slot: crate::streaming::StreamSlot,
    context: crate::context::Context,
    entered: usize,
    mut outcome: Outcome,
) -> Outcome {
    let cut_off = context.deadline().map(|deadline| {
        let at = deadline
            .instant()
            .checked_sub(lifecycle.budgets().safety_margin)
            .unwrap_or_else(tokio::time::Instant::now);
        (at, context.clone())
    });
    let after_invoke = {
        let lifecycle = lifecycle.clone();
        move |outcome: &mut Outcome| {
            lifecycle
                .runner
                .phase(Phase::AfterInvoke)
                .hooks_before(entered)
                .for_request(context.request_id())
                .run_sync(|hook| hook.on_after_invoke(&context, outcome).into());
        }
    };
    if let Err(now) = slot.defer(Box::new(after_invoke), cut_off) {
        now(&mut outcome);
    }
    outcome
}
