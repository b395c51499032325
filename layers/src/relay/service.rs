//! [`Relay`]: each invocation forwarded to the relay and its answer
//! returned; on a failure, the error or (with the local fallback) the
//! function's own handler. Exactly one outcome either way: the relay's
//! exchange is over (answered or dropped, closing its connection) before
//! the handler is called.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use runtime_engine::{Invocation, Outcome};
use tower::ServiceExt;
use tower_service::Service;

use super::client::{ExchangeError, RelayClient};
use super::failure::RelayFailure;
use super::signature::{Direction, Secret, SIGNATURE_HEADER};
use super::wire::{RelayedAnswer, RelayedInvocation, INVOCATIONS_PATH};
use super::Fallback;

/// How long an invocation without a deadline (local, plain HTTP) may wait
/// for the relay: Lambda's longest timeout.
const NO_DEADLINE_WAIT: Duration = Duration::from_secs(900);

/// What every [`Relay`] service of one layer shares.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) target: Result<(RelayClient, Secret), String>,
    pub(super) fallback: Fallback,
    pub(super) margin: Duration,
}

/// Forwards invocations to the relay; see the module docs.
#[derive(Clone, Debug)]
pub struct Relay<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Relay<S> {
    pub(super) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Relay { inner, shared }
    }

    /// The wrapped service (the fallback).
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

/// The future of [`Relay`].
pub type RelayFuture<E> = Pin<Box<dyn Future<Output = Result<Outcome, E>> + Send>>;

impl<S> Service<Invocation> for Relay<S>
where
    S: Service<Invocation, Response = Outcome> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Outcome;
    type Error = S::Error;
    type Future = RelayFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        // The ready service goes with this call, a clone stays (tower's
        // usual swap), so the fallback runs on a service that was ready.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let shared = self.shared.clone();
        Box::pin(async move {
            let failure = match relay(&shared, &invocation).await {
                Ok(outcome) => return Ok(outcome),
                Err(failure) => failure,
            };
            let request_id = invocation.context.request_id().to_owned();
            match shared.fallback {
                Fallback::Local => {
                    tracing::warn!(%request_id, "{failure}; running this instance's own handler");
                    inner.oneshot(invocation).await
                }
                Fallback::Error => {
                    tracing::warn!(%request_id, "{failure}");
                    Ok(Outcome::Error(failure.into_error()))
                }
            }
        })
    }
}

/// How long the relay may take with `invocation`: the time left less the
/// margin; half of that with the local fallback, so the handler keeps the
/// other half when the relay fails late.
fn wait_for(shared: &Shared, invocation: &Invocation) -> Duration {
    let left = invocation
        .context
        .remaining()
        .map_or(NO_DEADLINE_WAIT, |left| left.saturating_sub(shared.margin));
    match shared.fallback {
        Fallback::Local => left / 2,
        Fallback::Error => left,
    }
}

async fn relay(shared: &Shared, invocation: &Invocation) -> Result<Outcome, RelayFailure> {
    let (client, secret) = shared
        .target
        .as_ref()
        .map_err(|why| RelayFailure::Misconfigured(why.clone()))?;
    let wait = wait_for(shared, invocation);
    if wait.is_zero() {
        return Err(RelayFailure::Timeout { waited: wait });
    }
    let relayed = RelayedInvocation::from_invocation(invocation, wait);
    let body = serde_json::to_vec(&relayed).expect("the envelope serialises");
    let headers = secret.sign(Direction::Invocation, &relayed.request_id, &body);
    let exchange = client.post(INVOCATIONS_PATH, &headers, &body);
    let response = match tokio::time::timeout(wait, exchange).await {
        Err(_) => return Err(RelayFailure::Timeout { waited: wait }),
        Ok(Err(ExchangeError::NotSent(error))) => {
            return Err(RelayFailure::Unavailable(format!(
                "{}: {error}",
                client.url().endpoint
            )))
        }
        Ok(Err(ExchangeError::Broken(error))) => {
            return Err(RelayFailure::Disconnected(error.to_string()))
        }
        Ok(Ok(response)) => response,
    };
    let header = |name: &str| {
        response
            .headers()
            .find(|(key, _)| key.eq_ignore_ascii_case(name.as_bytes()))
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
    };
    match response.status {
        200 => {}
        401 => {
            return Err(RelayFailure::Refused(format!(
                "401: {} (is LIGHT_RUNTIME_RELAY_SECRET the secret the relay was started with?)",
                String::from_utf8_lossy(&response.body).trim()
            )))
        }
        status => {
            return Err(RelayFailure::BadAnswer(format!(
                "status {status}: {}",
                String::from_utf8_lossy(&response.body).trim()
            )))
        }
    }
    if header(SIGNATURE_HEADER).is_none() {
        return Err(RelayFailure::BadAnswer("the answer is not signed".into()));
    }
    let signed_for = secret
        .verify(Direction::Answer, header, &response.body)
        .map_err(|rejection| RelayFailure::BadAnswer(format!("its signature: {rejection}")))?;
    if signed_for != relayed.request_id {
        return Err(RelayFailure::BadAnswer(format!(
            "it answers request {signed_for}, not {}",
            relayed.request_id
        )));
    }
    let answer: RelayedAnswer = serde_json::from_slice(&response.body)
        .map_err(|error| RelayFailure::BadAnswer(format!("its body: {error}")))?;
    answer.into_outcome().map_err(RelayFailure::BadAnswer)
}
