//! Connections opened before a snapshot are not used after a restore.
//!
//! A platform that snapshots an initialised instance (AWS Lambda
//! SnapStart) starts copies of it later, possibly many: a TCP connection
//! kept in the snapshot belongs to a peer that has long forgotten it, or
//! is shared by every copy. Each [`Client`](crate::Client) remembers the
//! engine's [`restores`](runtime_engine::restores()) count its connection
//! was opened under, and drops a connection from before the latest restore
//! on its next call, connecting afresh. So every part of the runtime that
//! talks through this crate (the Runtime API client, the OTLP exporters)
//! re-opens its connection without being told.

/// The generation connections opened now belong to.
pub(crate) fn generation() -> u64 {
    runtime_engine::restores()
}
