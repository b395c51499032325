//! [`Pipeline`]: what an adapter drives, named once, and [`answer`], the one
//! way an adapter gets an [`Outcome`] from it.

use std::future::poll_fn;

use tower_service::Service;

use crate::error::{BoxError, InvocationError};
use crate::invocation::{Invocation, Outcome};

/// The whole invocation pipeline an adapter calls: the layers around the
/// [`HookService`](crate::HookService) around the handler. It answers every
/// [`Invocation`] with an [`Outcome`]; its error converts into a
/// [`BoxError`] (which [`answer`] turns into an outcome too), and it can be
/// cloned and sent to serve several invocations at once.
///
/// Implemented for every service with those properties; never implement it
/// by hand.
pub trait Pipeline:
    Service<Invocation, Response = Outcome, Error: Into<BoxError>, Future: Send>
    + Clone
    + Send
    + 'static
{
}

impl<S> Pipeline for S where
    S: Service<Invocation, Response = Outcome, Error: Into<BoxError>, Future: Send>
        + Clone
        + Send
        + 'static
{
}

/// Runs `invocation` through `service` (readiness, then the call) and
/// returns its one [`Outcome`]: a failing service's error becomes
/// [`Outcome::Error`] through [`InvocationError`]'s `From<BoxError>`, which
/// keeps a boxed `InvocationError` as it is. Every adapter calls this, so
/// no adapter converts errors itself.
///
/// ```
/// use runtime_engine::{pipeline, BoxError, Context, FunctionInfo, Invocation, Outcome, Platform};
/// use tower::service_fn;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut failing = service_fn(|_: Invocation| async { Err::<Outcome, BoxError>("no route".into()) });
/// let function = std::sync::Arc::new(FunctionInfo::new(Platform::Local, "f"));
/// let invocation = Invocation::new(Context::builder(function, "req-1").build(), "{}");
/// let outcome = pipeline::answer(&mut failing, invocation).await;
/// assert_eq!(outcome.error().unwrap().error_type(), "Runtime.LayerFailed");
/// # });
/// ```
pub async fn answer<S>(service: &mut S, invocation: Invocation) -> Outcome
where
    S: Service<Invocation, Response = Outcome>,
    S::Error: Into<BoxError>,
{
    // Each result is used up before the next await, so that the error
    // type need not be `Send` for the future to be.
    if let Err(error) = poll_fn(|cx| service.poll_ready(cx)).await {
        return failed(error);
    }
    match service.call(invocation).await {
        Ok(outcome) => outcome,
        Err(error) => failed(error),
    }
}

fn failed(error: impl Into<BoxError>) -> Outcome {
    Outcome::Error(InvocationError::from(error.into()))
}
