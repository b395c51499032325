//! The timings' clock: monotonic nanoseconds as a plain `u64`.
//!
//! Every hook boundary is timed, so the clock is on the per-invocation
//! path: a `u64` difference is one subtraction, where `Instant` arithmetic
//! costs a `Timespec` subtraction and a `Duration` normalisation per lap.
//!
//! It is the system's clock, not tokio's: a paused test clock does not move
//! it. Budget deadlines, which must follow tokio's clock, are armed from
//! `tokio::time::Instant` where a future is actually awaited.

/// Nanoseconds on the monotonic clock since an arbitrary fixed point.
#[cfg(unix)]
#[inline]
pub(crate) fn now() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    // The monotonic clock never reads negative.
    (now.tv_sec as u64) * 1_000_000_000 + now.tv_nsec as u64
}

/// Nanoseconds since the first reading (no `clock_gettime` here).
#[cfg(not(unix))]
pub(crate) fn now() -> u64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let origin = *ORIGIN.get_or_init(std::time::Instant::now);
    origin.elapsed().as_nanos() as u64
}

#[cfg(test)]
mod tests {
    #[test]
    fn never_goes_back() {
        let first = super::now();
        let second = super::now();
        assert!(second >= first);
    }
}
