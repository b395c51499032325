//! SnapStart: the `Snapshot` and `Restore` phases around Lambda's restore
//! calls.
//!
//! With `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`, once init is done the
//! runtime runs `Snapshot` hooks, then calls `GET /runtime/restore/next`:
//! Lambda snapshots the instance while the call is pending, and answers it
//! in each copy it later starts from the snapshot. The runtime then runs
//! `Restore` (which first counts the restore, so every HTTP client of the
//! runtime drops the connection it kept from before the snapshot) before
//! its first `next`.
//!
//! Errors follow AWS's own runtime clients (awslambdaric's
//! `on_init_complete`, lambda_runtime 1.5's `run_restore_lifecycle`): a
//! failing `Snapshot` hook or `restore/next` is an init error
//! (`/runtime/init/error`, type `Runtime.BeforeSnapshotError`); a failing
//! `Restore` hook goes to `POST /runtime/restore/error` with
//! `Lambda-Runtime-Function-Error-Type: Runtime.AfterRestoreError`, and
//! the runtime exits. Neither call is in AWS's Runtime API documentation
//! (RIE serves them only with init caching on), so their contract beyond
//! what those clients do is **unconfirmed**.

use runtime_engine::{CancellationToken, Error, Lifecycle};

use super::runtime_api::LambdaRuntimeApi;

/// The error type of a failing `Snapshot` hook or `restore/next`.
const BEFORE_SNAPSHOT_ERROR: &str = "Runtime.BeforeSnapshotError";
/// The error type of a failing `Restore` hook.
const AFTER_RESTORE_ERROR: &str = "Runtime.AfterRestoreError";

/// Runs `Snapshot`, waits out the snapshot in `restore/next`, re-opens
/// connections and runs `Restore`. An `Err` has been reported to Lambda
/// already; the runtime should exit with it.
pub(crate) async fn snapshot_and_restore(
    lifecycle: &Lifecycle,
    api: &mut LambdaRuntimeApi,
    shutdown: &CancellationToken,
) -> Result<(), Error> {
    if let Err(error) = lifecycle.snapshot().await {
        return Err(api
            .report_init_error_as(error, BEFORE_SNAPSHOT_ERROR, shutdown)
            .await);
    }
    if let Err(error) = api.restore_next().await {
        return Err(api
            .report_init_error_as(error, BEFORE_SNAPSHOT_ERROR, shutdown)
            .await);
    }
    // Every connection open now was copied from the snapshot: the Runtime
    // API's, the OTLP exporters'. `restore` counts the restore first, so
    // each client connects afresh on its next call (its hooks' calls too).
    if let Err(error) = lifecycle.restore().await {
        return Err(api
            .report_restore_error(error, AFTER_RESTORE_ERROR, shutdown)
            .await);
    }
    Ok(())
}
