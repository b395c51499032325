//! Where the child meets the lifecycle: it is started at `RuntimeStart`
//! (so its start overlaps the runtime's own), its init is awaited at
//! `FunctionStart` (its init failure is the platform's init error), and it
//! is stopped at `Close` (SIGTERM, the grace, then SIGKILL), after its
//! extensions are told SHUTDOWN.

use std::sync::Arc;

use runtime_engine::{BoxError, FunctionInfo, Hook, HookFuture, Phase, Phases};

use super::child_env::lambda_environment;
use super::Proxy;

/// The proxy's own hook, a ring inside the plugins' (which wrap the
/// builder's hooks): at `FunctionStart` it runs after them, and at `Close`
/// before them, so the child has stopped, and written its last logs,
/// before they flush.
#[derive(Debug)]
pub(crate) struct ChildLifecycle {
    pub(crate) proxy: Arc<Proxy>,
}

impl Hook for ChildLifecycle {
    fn name(&self) -> &str {
        "proxy"
    }

    fn phases(&self) -> Phases {
        Phases::of(&[Phase::RuntimeStart, Phase::FunctionStart, Phase::Close])
    }

    fn on_runtime_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        let proxy = &self.proxy;
        proxy.supervisor.set_command(lambda_environment(
            proxy.command.clone(),
            function,
            proxy.address,
            proxy.concurrency,
            |name| std::env::var_os(name),
        ));
        proxy.api.extensions.set_function(function.clone());
        proxy.supervisor.start_early()?;
        Ok(())
    }

    fn on_function_start<'a>(&'a self, _function: &'a FunctionInfo) -> HookFuture<'a> {
        let proxy = &self.proxy;
        HookFuture::new(async move {
            proxy.supervisor.ready().await?;
            Ok(())
        })
    }

    fn on_close(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            self.proxy.api.extensions.shut_down();
            if let Some(exit) = self.proxy.supervisor.stop(self.proxy.grace).await {
                tracing::info!("the function's process stopped: {exit}");
            }
            Ok(())
        })
    }
}
