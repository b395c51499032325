//! [`RestoreSafeIds`]: trace and span ids that differ between the copies
//! of a snapshotted instance.
//!
//! The SDK's `RandomIdGenerator` seeds a generator once per thread. Under
//! AWS SnapStart a thread that made an id during init is in the snapshot
//! with its generator's state, and every copy started from it would then
//! make the same ids: traces of different instances would merge. This one
//! re-seeds a thread's generator from the OS when the process has been
//! restored since it was seeded ([`runtime_engine::restores`]), at the
//! cost of one relaxed atomic load per id.

use std::cell::RefCell;

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::IdGenerator;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Random trace and span ids, re-seeded after a restore from a snapshot.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RestoreSafeIds;

/// A thread's generator and the restore count it was seeded under.
struct Seeded {
    restores: u64,
    rng: SmallRng,
}

thread_local! {
    static RNG: RefCell<Seeded> = RefCell::new(Seeded {
        restores: runtime_engine::restores(),
        rng: SmallRng::from_os_rng(),
    });
}

/// Runs `make` with this thread's generator, re-seeded first if the
/// process was restored since it was seeded.
fn with_rng<T>(make: impl FnOnce(&mut SmallRng) -> T) -> T {
    RNG.with(|seeded| {
        let mut seeded = seeded.borrow_mut();
        let restores = runtime_engine::restores();
        if seeded.restores != restores {
            *seeded = Seeded {
                restores,
                rng: SmallRng::from_os_rng(),
            };
        }
        make(&mut seeded.rng)
    })
}

impl IdGenerator for RestoreSafeIds {
    fn new_trace_id(&self) -> TraceId {
        with_rng(|rng| TraceId::from(rng.random::<u128>()))
    }

    fn new_span_id(&self) -> SpanId {
        with_rng(|rng| SpanId::from(rng.random::<u64>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_valid() {
        let ids = RestoreSafeIds;
        let first = ids.new_trace_id();
        let second = ids.new_trace_id();
        assert_ne!(first, second);
        assert_ne!(first, TraceId::INVALID);
        assert_ne!(ids.new_span_id(), SpanId::INVALID);
    }
}
