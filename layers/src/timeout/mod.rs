//! Timeout: how long before the platform's deadline the invocation is
//! cancelled and turned into a timeout error.
//!
//! The deadline itself is enforced by the engine's hook service, which sits
//! inside every layer: it fires the context's cancellation token at
//! `deadline - margin`, gives the handler a cleanup window to return on its
//! own, then drops it and answers `Function.Timeout` ("function `x` timed
//! out after 2900 ms ..."), with `AfterInvoke` still run. A tower layer
//! outside it could not keep that last promise (dropping the inner future
//! would skip `AfterInvoke`), so [`TimeoutLayer`] *configures* the engine:
//! it sets [`Budgets::safety_margin`] and [`Budgets::cleanup`], and its
//! [`Timeout`] service passes invocations through untouched (zero cost).
//!
//! Panics are likewise caught by the engine (`Function.Panic` with the
//! message and location), so there is no separate catch-panic layer.

use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use runtime_engine::Budgets;
use runtime_engine::Environment;
use tower_layer::Layer;
use tower_service::Service;

use crate::{variables, LifecycleLayer};

/// The margin before the deadline, in milliseconds.
pub const MARGIN_VAR: &str = "LIGHT_RUNTIME_TIMEOUT_MARGIN_MS";
/// The cleanup window after cancellation, in milliseconds (default: half the margin).
pub const CLEANUP_VAR: &str = "LIGHT_RUNTIME_TIMEOUT_CLEANUP_MS";

/// Sets the cancellation margin before the deadline; see the module docs.
///
/// ```
/// use std::time::Duration;
/// use light_runtime_layers::{LifecycleLayer, timeout::TimeoutLayer};
/// use runtime_engine::Budgets;
///
/// let budgets = TimeoutLayer::new(Duration::from_millis(300)).budgets(Budgets::default());
/// assert_eq!(budgets.safety_margin, Duration::from_millis(300));
/// assert_eq!(budgets.cleanup, Duration::from_millis(150));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TimeoutLayer {
    margin: Duration,
    cleanup: Duration,
}

impl TimeoutLayer {
    /// Cancels `margin` before the deadline, with a cleanup window of half of it.
    pub fn new(margin: Duration) -> Self {
        TimeoutLayer {
            margin,
            cleanup: margin / 2,
        }
    }

    /// Sets the cleanup window: how long a cancelled handler may take to
    /// return before it is dropped. Kept below the margin, so the timeout
    /// error is always posted before the platform's deadline.
    pub fn with_cleanup(mut self, cleanup: Duration) -> Self {
        self.cleanup = cleanup;
        self
    }

    /// Reads `LIGHT_RUNTIME_TIMEOUT_MARGIN_MS` and
    /// `LIGHT_RUNTIME_TIMEOUT_CLEANUP_MS` from `env`; the defaults are the
    /// engine's (100 ms and half the margin).
    pub fn from_environment(env: &Environment) -> Self {
        let margin = variables::millis(env, MARGIN_VAR, Budgets::default().safety_margin);
        let layer = Self::new(margin);
        let cleanup = variables::millis(env, CLEANUP_VAR, layer.cleanup);
        layer.with_cleanup(cleanup)
    }

    /// Reads the process environment; see [`from_environment`](Self::from_environment).
    pub fn from_env() -> Self {
        Self::from_environment(&Environment::process())
    }

    /// The margin before the deadline.
    pub fn margin(&self) -> Duration {
        self.margin
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout::new(inner)
    }
}

impl LifecycleLayer for TimeoutLayer {
    fn name(&self) -> &'static str {
        "timeout"
    }

    fn budgets(&self, mut budgets: Budgets) -> Budgets {
        budgets.safety_margin = self.margin;
        budgets.cleanup = if self.cleanup < self.margin {
            self.cleanup
        } else {
            variables::warn_invalid(
                CLEANUP_VAR,
                &self.cleanup.as_millis().to_string(),
                "less than the margin",
                "half the margin",
            );
            self.margin / 2
        };
        budgets
    }
}

/// Passes invocations through: the engine enforces the margin that
/// [`TimeoutLayer`] configured.
#[derive(Clone, Debug)]
pub struct Timeout<S> {
    inner: S,
}

impl<S> Timeout<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Timeout { inner }
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

impl<S, R> Service<R> for Timeout<S>
where
    S: Service<R>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        self.inner.call(request)
    }
}
