//! When an invocation must have answered.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// The moment the platform stops waiting for an invocation.
///
/// Kept both as wall-clock epoch milliseconds (what platforms send) and as a
/// monotonic instant (what timers need, immune to clock steps); the instant is
/// tokio's, so tests with a paused clock control it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    epoch_ms: u64,
}

impl Deadline {
    /// A deadline given as Unix epoch milliseconds, as in `Lambda-Runtime-Deadline-Ms`.
    pub fn from_epoch_ms(epoch_ms: u64) -> Deadline {
        let now_ms = now_epoch_ms();
        let now = Instant::now();
        let at = if epoch_ms >= now_ms {
            now + Duration::from_millis(epoch_ms - now_ms)
        } else {
            now.checked_sub(Duration::from_millis(now_ms - epoch_ms))
                .unwrap_or(now)
        };
        Deadline { at, epoch_ms }
    }

    /// A deadline `timeout` from now, for platforms that send a timeout instead.
    pub fn after(timeout: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + timeout,
            epoch_ms: now_epoch_ms().saturating_add(timeout.as_millis() as u64),
        }
    }

    /// The deadline as a monotonic instant.
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// The deadline as Unix epoch milliseconds.
    pub fn epoch_ms(&self) -> u64 {
        self.epoch_ms
    }

    /// Time left until the deadline; zero once it has passed.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }
}

fn now_epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
