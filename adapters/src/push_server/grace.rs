//! [`Grace`]: the one time limit a push server's shutdown keeps.
//!
//! The platform gives an instance a grace period between asking it to stop
//! (SIGTERM, FC `/pre-stop`) and killing it: Knative 30 s by default, Cloud
//! Run 10 s, FC's PreStop timeout as configured on the function. Shutdown
//! fits in it once: draining connections, in-flight work and `Close` all
//! share one deadline, and `Close` keeps its own budget at the end of it.
//! Requests whose body has not fully arrived when shutdown begins are not
//! work in flight: their reads stop and they are answered `503`.

use std::sync::OnceLock;
use std::time::Duration;

use runtime_engine::{CancellationToken, Environment, Error};
use tokio::time::Instant;

use super::SHUTDOWN_GRACE_VAR;

/// The shutdown deadline of one push server, fixed when shutdown begins.
#[derive(Debug)]
pub(crate) struct Grace {
    /// The whole grace period, from the start of shutdown to `Close`'s end.
    period: Duration,
    /// `Close`'s budget, kept free at the end of the period.
    close: Duration,
    /// When draining must end, set by the first [`Grace::begin`].
    drain_until: OnceLock<Instant>,
    /// Fires when shutdown begins: body reads still waiting stop.
    reads_stop: CancellationToken,
}

impl Grace {
    /// The grace period from [`SHUTDOWN_GRACE_VAR`], else `default`;
    /// `close` is the `Close` budget kept free at its end.
    pub(crate) fn from_env(
        env: &Environment,
        default: Duration,
        close: Duration,
    ) -> Result<Grace, Error> {
        let period = match env.get(SHUTDOWN_GRACE_VAR) {
            Some(text) => text
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| {
                    Error::config(format!(
                        "{SHUTDOWN_GRACE_VAR} must be a number of milliseconds, got {text:?}"
                    ))
                })?,
            None => default,
        };
        Ok(Grace {
            period,
            close,
            drain_until: OnceLock::new(),
            reads_stop: CancellationToken::new(),
        })
    }

    /// Starts the shutdown clock (only the first call does) and stops body
    /// reads still waiting; returns when draining must end.
    pub(crate) fn begin(&self) -> Instant {
        let until = *self
            .drain_until
            .get_or_init(|| Instant::now() + self.period.saturating_sub(self.close));
        self.reads_stop.cancel();
        until
    }

    /// How much of the drain time is left (all of it before shutdown began).
    pub(crate) fn drain_left(&self) -> Duration {
        match self.drain_until.get() {
            Some(until) => until.saturating_duration_since(Instant::now()),
            None => self.period.saturating_sub(self.close),
        }
    }

    /// The whole grace period.
    pub(crate) fn period(&self) -> Duration {
        self.period
    }

    /// Fires once shutdown has begun.
    pub(crate) fn reads_stop(&self) -> &CancellationToken {
        &self.reads_stop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_deadline_is_fixed_once_and_leaves_close_its_budget() {
        let env = Environment::from_vars([(SHUTDOWN_GRACE_VAR, "3000")]);
        let grace =
            Grace::from_env(&env, Duration::from_secs(30), Duration::from_millis(400)).unwrap();
        assert_eq!(grace.drain_left(), Duration::from_millis(2600));
        assert!(!grace.reads_stop().is_cancelled());
        let first = grace.begin();
        assert!(grace.reads_stop().is_cancelled());
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            grace.begin(),
            first,
            "a second begin keeps the first deadline"
        );
        assert!(grace.drain_left() <= Duration::from_millis(2580));
        let bad = Environment::from_vars([(SHUTDOWN_GRACE_VAR, "soon")]);
        let error = Grace::from_env(&bad, Duration::ZERO, Duration::ZERO).unwrap_err();
        assert!(error.to_string().contains(SHUTDOWN_GRACE_VAR), "{error}");
    }
}
