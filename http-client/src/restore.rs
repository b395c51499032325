//! Connections opened before a snapshot are not used after a restore.
//!
//! A platform that snapshots an initialised instance (AWS Lambda
//! SnapStart) starts copies of it later, possibly many: a TCP connection
//! kept in the snapshot belongs to a peer that has long forgotten it, or
//! is shared by every copy. [`forget_connections`] marks every connection
//! open now as from before the restore; each [`Client`](crate::Client)
//! drops its own on its next call and connects afresh. The runtime calls
//! it once the restore is done, so every part of it that talks through
//! this crate (the Runtime API client, the OTLP exporters) re-opens its
//! connection without being told.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped at each restore; a connection remembers the value it was opened
/// under.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Makes every [`Client`](crate::Client) drop the connection it keeps now
/// and open a new one on its next call. For a runtime restored from a
/// snapshot.
pub fn forget_connections() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// The generation connections opened now belong to.
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::Relaxed)
}
