//! [`ExportHook`]: the lifecycle side every telemetry layer shares: build
//! the pipeline at `RuntimeStart`, export at `Freeze` and `Close`.

use std::future::Future;

use runtime_engine::{BoxError, FunctionInfo, Hook, HookFuture, Phase, Phases};

/// A telemetry layer whose pipeline the lifecycle builds and flushes.
pub(crate) trait Exporting: Send + Sync + 'static {
    /// The hook's name in timings and logs.
    const NAME: &'static str;

    /// Builds the pipeline for `function`; `Err` when its export cannot be
    /// served as configured (the runtime's init error).
    fn init(&self, function: &FunctionInfo) -> Result<(), BoxError>;

    /// Exports what was recorded (`closing`: at `Close`, always tried).
    fn flush(&self, closing: bool) -> impl Future<Output = ()> + Send + '_;
}

/// Runs an [`Exporting`] layer's pipeline at its three phases, and only
/// those: it costs nothing on the per-invocation phases around the handler.
pub(crate) struct ExportHook<L>(pub(crate) L);

impl<L: Exporting> Hook for ExportHook<L> {
    fn name(&self) -> &str {
        L::NAME
    }

    fn phases(&self) -> Phases {
        Phases::of(&[Phase::RuntimeStart, Phase::Freeze, Phase::Close])
    }

    fn on_runtime_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        self.0.init(function)
    }

    fn on_freeze(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            self.0.flush(false).await;
            Ok(())
        })
    }

    fn on_close(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            self.0.flush(true).await;
            Ok(())
        })
    }
}
