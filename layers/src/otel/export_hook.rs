//! [`ExportHook`]: the lifecycle side every telemetry layer shares: build
//! the pipeline at `RuntimeStart` and start its [`Schedule`], export at
//! `Snapshot` (SnapStart), `Freeze` and `Close`.

use std::future::Future;
use std::sync::Arc;

use runtime_engine::{BoxError, FunctionInfo, Hook, HookFuture, Phase, Phases};

use super::Schedule;

/// A telemetry layer whose pipeline the lifecycle builds and flushes.
pub(crate) trait Exporting: Clone + Send + Sync + 'static {
    /// The hook's name in timings and logs.
    const NAME: &'static str;

    /// Builds the pipeline for `function`; `Err` when its export cannot be
    /// served as configured (the runtime's init error).
    fn init(&self, function: &FunctionInfo) -> Result<(), BoxError>;

    /// When this layer exports besides `Freeze` and `Close`.
    fn schedule(&self) -> &Arc<Schedule>;

    /// Exports what was recorded (`closing`: at `Close`, always tried).
    fn flush(&self, closing: bool) -> impl Future<Output = ()> + Send + '_;
}

/// Runs an [`Exporting`] layer's pipeline at its four phases, and only
/// those: it costs nothing on the per-invocation phases around the handler.
/// Where the platform gives no notice of a freeze, the schedule's
/// background task exports too (started here at `RuntimeStart`).
pub(crate) struct ExportHook<L>(pub(crate) L);

impl<L: Exporting> Hook for ExportHook<L> {
    fn name(&self) -> &str {
        L::NAME
    }

    fn phases(&self) -> Phases {
        Phases::of(&[
            Phase::RuntimeStart,
            Phase::Snapshot,
            Phase::Freeze,
            Phase::Close,
        ])
    }

    fn on_runtime_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        self.0.init(function)?;
        let schedule = self.0.schedule();
        schedule.resolve(function);
        let layer = self.0.clone();
        schedule.spawn(move || {
            let layer = layer.clone();
            async move { layer.flush(false).await }
        });
        Ok(())
    }

    /// Before a SnapStart snapshot: what init recorded goes out now, or
    /// every instance restored from the snapshot would send it again.
    fn on_snapshot(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            let _one_at_a_time = self.0.schedule().exporting().await;
            self.0.flush(false).await;
            Ok(())
        })
    }

    fn on_freeze(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            let _one_at_a_time = self.0.schedule().exporting().await;
            self.0.flush(false).await;
            Ok(())
        })
    }

    fn on_close(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            let schedule = self.0.schedule();
            let _one_at_a_time = schedule.exporting().await;
            schedule.stop();
            self.0.flush(true).await;
            Ok(())
        })
    }
}
