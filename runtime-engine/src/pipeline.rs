//! [`Pipeline`]: what an adapter drives, named once.

use tower_service::Service;

use crate::error::BoxError;
use crate::invocation::{Invocation, Outcome};

/// The whole invocation pipeline an adapter calls: the layers around the
/// [`HookService`](crate::HookService) around the handler. It answers every
/// [`Invocation`] with an [`Outcome`]; its error converts into a
/// [`BoxError`] (the adapter turns it into an outcome too), and it can be
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
