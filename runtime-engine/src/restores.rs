//! How many times this process has been restored from a snapshot.
//!
//! A platform that snapshots an initialised instance (AWS Lambda
//! SnapStart) starts copies of it later: everything the process held at
//! the snapshot is in every copy, connections and random seeds included.
//! Parts of the runtime that hold such things compare [`restores`] with
//! the count they saw when they made them, and make them again when it
//! moved: the HTTP client re-opens its connection, the trace layer
//! re-seeds its id generator. [`Lifecycle::restore`](crate::Lifecycle::restore)
//! counts the restore before it runs `Restore` hooks, so the hooks already
//! find fresh connections.

use std::sync::atomic::{AtomicU64, Ordering};

static RESTORES: AtomicU64 = AtomicU64::new(0);

/// Restores from a snapshot this process has been through: 0 unless it
/// runs under SnapStart, then 1.
pub fn restores() -> u64 {
    RESTORES.load(Ordering::Relaxed)
}

/// Counts a restore; called by the lifecycle as `Restore` begins.
pub(crate) fn restored() {
    RESTORES.fetch_add(1, Ordering::Relaxed);
}
