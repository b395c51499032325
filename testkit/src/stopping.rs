//! [`stop_runtime`]: the end of most runtime tests.

use std::time::Duration;

use runtime_engine::CancellationToken;
use tokio::task::JoinHandle;

/// How long a runtime may take to stop once asked.
const STOP_WITHIN: Duration = Duration::from_secs(10);

/// Cancels `shutdown` and waits for the runtime `task` it stops (`Close`,
/// `End`, exit); panics, saying which, if the runtime takes over 10 s,
/// panicked, or ended with an error.
pub async fn stop_runtime<E: std::fmt::Debug>(
    shutdown: &CancellationToken,
    task: JoinHandle<Result<(), E>>,
) {
    shutdown.cancel();
    tokio::time::timeout(STOP_WITHIN, task)
        .await
        .expect("the runtime stops within 10 s of shutdown")
        .expect("the runtime task does not panic")
        .expect("an orderly shutdown ends Ok");
}
