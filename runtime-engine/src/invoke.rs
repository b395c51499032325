//! The `Invoke` phase: the handler under its deadline's safety margin, with
//! cancellation and panic capture, always ending in one [`Outcome`].

use std::future::Future;
use std::task::Poll;

use tower_service::Service;

use crate::clock;
use crate::context::Context;
use crate::error::InvocationError;
use crate::invocation::{Invocation, Outcome, Response};
use crate::lifecycle::Lifecycle;
use crate::panic;
use crate::phase::Phase;

/// Calls the handler under the deadline's safety margin and catches panics.
/// The phase starts at `started` (the end of `BeforeInvoke`) or now, in
/// [`clock::now`] nanoseconds; returns the outcome and when the phase ended.
pub(crate) async fn invoke<S>(
    lifecycle: &Lifecycle,
    handler: S,
    invocation: Invocation,
    context: &Context,
    started: Option<u64>,
) -> (Outcome, u64)
where
    S: Service<Invocation, Response = Response>,
    S::Error: Into<InvocationError>,
{
    let started = started.unwrap_or_else(clock::now);
    let finish = |started: u64| {
        let end = clock::now();
        lifecycle
            .runner
            .timings()
            .phase(Phase::Invoke, end.saturating_sub(started));
        end
    };
    let call = async move {
        let mut handler = handler;
        std::future::poll_fn(|cx| handler.poll_ready(cx))
            .await
            .map_err(Into::into)?;
        handler
            .call(invocation)
            .await
            .map_err(Into::<InvocationError>::into)
    };
    let call = panic::CatchPanic::new(call);
    let result = match context.deadline() {
        None => call.await,
        Some(deadline) => {
            let budgets = lifecycle.budgets();
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
    result: std::thread::Result<Result<Response, InvocationError>>,
    context: &Context,
) -> Outcome {
    match result {
        Ok(Ok(response)) => Outcome::Response(response),
        Ok(Err(error)) => Outcome::Error(error),
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
