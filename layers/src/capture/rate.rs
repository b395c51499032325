//! [`RateLimit`]: a token bucket of N captures per minute; what overflows
//! is counted and reported in the next capture.

use std::sync::Mutex;
use std::time::Instant;

/// N captures per minute, in bursts of at most N.
#[derive(Debug)]
pub(crate) struct RateLimit {
    per_minute: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
    dropped: u64,
}

impl RateLimit {
    pub(crate) fn new(per_minute: u32) -> Self {
        RateLimit {
            per_minute: f64::from(per_minute),
            state: Mutex::new(Bucket {
                tokens: f64::from(per_minute),
                at: Instant::now(),
                dropped: 0,
            }),
        }
    }

    /// Takes a token at `now`; `false` (and one more dropped) when empty.
    pub(crate) fn take(&self, now: Instant) -> bool {
        let mut bucket = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_minute / 60.0).min(self.per_minute);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            bucket.dropped += 1;
            false
        }
    }

    /// Counts one capture dropped for another reason (queue full).
    pub(crate) fn count_dropped(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).dropped += 1;
    }

    /// The drops since the last call.
    pub(crate) fn take_dropped(&self) -> u64 {
        std::mem::take(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()).dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_of_n_then_one_per_sixtieth_of_a_minute_per_n() {
        let limit = RateLimit::new(3);
        let t0 = Instant::now();
        assert!((0..3).all(|_| limit.take(t0)));
        assert!(!limit.take(t0));
        assert!(
            !limit.take(t0 + Duration::from_secs(10)),
            "a token takes 20 s at 3/min"
        );
        assert_eq!(limit.take_dropped(), 2);
        assert_eq!(limit.take_dropped(), 0);
        assert!(limit.take(t0 + Duration::from_secs(21)));
    }
}
