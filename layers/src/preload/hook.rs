//! The `FunctionStart` hook that runs every initialiser concurrently.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use runtime_engine::{BoxError, FunctionInfo, Hook, HookFuture, Phase};
use tokio::time::Instant;

use super::registry::{Initialiser, Registry};

/// Runs the initialisers at `FunctionStart`; see the module docs.
pub(super) struct PreloadHook {
    registry: Arc<Registry>,
}

impl PreloadHook {
    pub(super) fn new(registry: Arc<Registry>) -> Self {
        PreloadHook { registry }
    }

    /// Runs one initialiser under its timeout; the error names it.
    async fn run_one(&self, initialiser: Initialiser) -> Result<(), String> {
        let Initialiser { name, timeout, run } = initialiser;
        let started = Instant::now();
        let guarded = AssertUnwindSafe(async move { run().await }).catch_unwind();
        let result = match tokio::time::timeout(timeout, guarded).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(error))) => Err(format!("preload `{name}` failed: {error}")),
            Ok(Err(_panic)) => Err(format!("preload `{name}` panicked")),
            Err(_) => Err(format!(
                "preload `{name}` did not finish within its {} ms timeout",
                timeout.as_millis()
            )),
        };
        let lifecycle = self
            .registry
            .lifecycle
            .get()
            .and_then(|weak| weak.upgrade());
        if let Some(lifecycle) = lifecycle {
            lifecycle.record_step(
                Phase::FunctionStart,
                &format!("preload:{name}"),
                started.elapsed(),
            );
        }
        result
    }
}

impl Hook for PreloadHook {
    fn name(&self) -> &str {
        "preload"
    }

    fn on_function_start<'a>(&'a self, _function: &'a FunctionInfo) -> HookFuture<'a> {
        let initialisers = std::mem::take(
            &mut *self
                .registry
                .initialisers
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        if initialisers.is_empty() {
            return HookFuture::done();
        }
        HookFuture::new(async move {
            let runs = initialisers.into_iter().map(|i| self.run_one(i));
            let failures: Vec<String> = futures_util::future::join_all(runs)
                .await
                .into_iter()
                .filter_map(Result::err)
                .collect();
            if failures.is_empty() {
                Ok(())
            } else {
                Err(BoxError::from(failures.join("; ")))
            }
        })
    }
}
