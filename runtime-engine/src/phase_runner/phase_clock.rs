//! [`PhaseClock`]: one clock read per hook boundary.

use crate::clock;

/// The clock of a phase whose hooks run back to back: each hook's end is
/// the next one's start, so one clock read per hook.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PhaseClock {
    /// When the phase began ([`clock::now`] nanoseconds).
    pub(super) started: u64,
    /// When the last hook ended, or the start.
    pub(super) last: u64,
}

impl PhaseClock {
    pub(super) fn start(started: u64) -> Self {
        PhaseClock {
            started,
            last: started,
        }
    }

    /// Nanoseconds since the previous lap (or the start).
    pub(super) fn lap(&mut self) -> u64 {
        let now = clock::now();
        let elapsed = now.saturating_sub(self.last);
        self.last = now;
        elapsed
    }

    /// Nanoseconds from the start to the last lap: the sum of the laps.
    pub(super) fn elapsed(self) -> u64 {
        self.last - self.started
    }
}
