//! [`HookService`]: `BeforeInvoke` → `Invoke` → `AfterInvoke` around a handler.
//!
//! It owns the invocation guarantees: the handler runs under the deadline
//! minus the safety margin, the cancellation token fires at the margin, a
//! panic is caught, and whatever happens the caller gets exactly one
//! [`Outcome`] (the service never fails).

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::clock;
use crate::context::Context;
use crate::error::{BoxError, InvocationError};
use crate::hook::{Flow, Hook};
use crate::invocation::{Invocation, Outcome, Response};
use crate::lifecycle::{failure, Lifecycle};
use crate::panic;
use crate::phase::Phase;
use crate::timings::Laps;

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
    S::Error: Into<BoxError>,
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

async fn run_invocation<S>(lifecycle: &Lifecycle, inner: S, mut invocation: Invocation) -> Outcome
where
    S: Service<Invocation, Response = Response>,
    S::Error: Into<BoxError>,
{
    let hooks = &lifecycle.hooks;
    let timings = &lifecycle.timings;
    let before = &lifecycle.interested[Phase::BeforeInvoke.index()];
    // Hooks with a registration index below this have entered the onion and
    // so leave it through AfterInvoke; a short-circuit lowers it.
    let mut entered = hooks.len();
    let mut early = None;
    // BeforeInvoke's end is Invoke's start: one clock read per boundary.
    let mut invoke_start = None;
    if !before.is_empty() {
        let mut laps = Laps::start(clock::now());
        for &index in before.iter() {
            // The `dyn Hook` itself, not its `Box`'s forwarding `Hook` impl.
            let hook: &dyn Hook = &*hooks[index];
            // A hook's answer goes straight to `early`: the catch then moves
            // a result of three words, not one holding an `Outcome`.
            let result = panic::catch(AssertUnwindSafe(|| {
                match hook.on_before_invoke(&mut invocation) {
                    Ok(Flow::Continue) => Ok(()),
                    Ok(Flow::Respond(outcome)) => {
                        early = Some(outcome);
                        Ok(())
                    }
                    Err(error) => Err(error),
                }
            }));
            // Timed in each arm, so that a success keeps no result across
            // the clock read.
            match result {
                Ok(Ok(())) => {
                    laps.lap(timings, index, Phase::BeforeInvoke);
                    if early.is_none() {
                        continue;
                    }
                }
                failed => {
                    laps.lap(timings, index, Phase::BeforeInvoke);
                    early = Some(before_invoke_failed(hook, failed));
                }
            }
            entered = index + 1;
            break;
        }
        invoke_start = Some(laps.finish(timings, Phase::BeforeInvoke));
    }

    let after = &lifecycle.interested[Phase::AfterInvoke.index()];
    let context = invocation.context.clone();
    let (mut outcome, invoke_end) = match early {
        Some(outcome) => (outcome, None),
        None => {
            let (outcome, end) = invoke(lifecycle, inner, invocation, &context, invoke_start).await;
            (outcome, Some(end))
        }
    };

    if !after.is_empty() {
        // Invoke's end is AfterInvoke's start.
        let mut laps = Laps::start(invoke_end.unwrap_or_else(clock::now));
        for &index in after.iter().rev().filter(|&&index| index < entered) {
            let hook: &dyn Hook = &*hooks[index];
            let result = panic::catch(AssertUnwindSafe(|| {
                hook.on_after_invoke(&context, &mut outcome)
            }));
            laps.lap(timings, index, Phase::AfterInvoke);
            if let Err(_) | Ok(Err(_)) = result {
                log_after_invoke_failure(hook, &context, result);
            }
        }
        laps.finish(timings, Phase::AfterInvoke);
    }
    outcome
}

/// The error of a `BeforeInvoke` hook that failed or panicked. Out of line:
/// hooks seldom fail.
#[cold]
#[inline(never)]
fn before_invoke_failed(
    hook: &dyn Hook,
    result: std::thread::Result<Result<(), BoxError>>,
) -> Outcome {
    let message = failure(result).unwrap_or_default();
    Outcome::Error(InvocationError::hook(format!(
        "BeforeInvoke hook `{}` failed: {message}",
        hook.name()
    )))
}

#[cold]
#[inline(never)]
fn log_after_invoke_failure(
    hook: &dyn Hook,
    context: &Context,
    result: std::thread::Result<Result<(), BoxError>>,
) {
    if let Some(message) = failure(result) {
        tracing::warn!(
            hook = hook.name(),
            request_id = context.request_id(),
            "AfterInvoke hook `{}` failed, outcome kept: {message}",
            hook.name()
        );
    }
}

/// Calls the handler under the deadline's safety margin and catches panics.
/// The phase starts at `started` (the end of `BeforeInvoke`) or now, in
/// [`clock::now`] nanoseconds; returns the outcome and when the phase ended.
async fn invoke<S>(
    lifecycle: &Lifecycle,
    inner: S,
    invocation: Invocation,
    context: &Context,
    started: Option<u64>,
) -> (Outcome, u64)
where
    S: Service<Invocation, Response = Response>,
    S::Error: Into<BoxError>,
{
    let started = started.unwrap_or_else(clock::now);
    let finish = |started: u64| {
        let end = clock::now();
        lifecycle
            .timings
            .phase(Phase::Invoke, end.saturating_sub(started));
        end
    };
    let call = async move {
        let mut inner = inner;
        std::future::poll_fn(|cx| inner.poll_ready(cx))
            .await
            .map_err(Into::into)?;
        inner.call(invocation).await.map_err(Into::<BoxError>::into)
    };
    let call = panic::CatchPanic::new(call);
    let result = match context.deadline() {
        None => call.await,
        Some(deadline) => {
            let budgets = &lifecycle.budgets;
            let cancel_at = deadline
                .instant()
                .checked_sub(budgets.safety_margin)
                .unwrap_or_else(tokio::time::Instant::now);
            tokio::pin!(call);
            // Most handlers finish on their first poll; only a handler that
            // has to wait pays for the deadline timer.
            let first = std::future::poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx))).await;
            if let Poll::Ready(result) = first {
                let end = finish(started);
                return (into_outcome(result, context), end);
            }
            tokio::select! {
                biased;
                result = &mut call => result,
                () = tokio::time::sleep_until(cancel_at) => {
                    context.cancel();
                    match tokio::time::timeout(budgets.cleanup, &mut call).await {
                        Ok(result) => result,
                        Err(_) => {
                            let end = finish(started);
                            return (Outcome::Error(InvocationError::timeout(format!(
                                "function `{}` timed out after {} ms: it was cancelled {} ms before its deadline and did not return within the {} ms cleanup window",
                                context.function_name(),
                                clock::now().saturating_sub(started) / 1_000_000,
                                budgets.safety_margin.as_millis(),
                                budgets.cleanup.as_millis(),
                            ))), end);
                        }
                    }
                }
            }
        }
    };
    let end = finish(started);
    (into_outcome(result, context), end)
}

fn into_outcome(
    result: std::thread::Result<Result<Response, BoxError>>,
    context: &Context,
) -> Outcome {
    match result {
        Ok(Ok(response)) => Outcome::Response(response),
        Ok(Err(error)) => Outcome::Error(InvocationError::from_boxed(error)),
        Err(payload) => {
            let message = format!(
                "function `{}` panicked: {}",
                context.function_name(),
                panic::describe(&*payload)
            );
            tracing::error!(request_id = context.request_id(), "{message}");
            Outcome::Error(InvocationError::panic(message))
        }
    }
}
