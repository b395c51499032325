//! SIGTERM and Ctrl-C become one cancellation token.

use runtime_engine::CancellationToken;

/// A token cancelled on SIGTERM or SIGINT (Ctrl-C).
///
/// Signal handlers are installed before this returns, so a signal that
/// arrives at any later point is seen.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        match (terminate, interrupt) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                let fired = token.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = terminate.recv() => tracing::debug!("SIGTERM received"),
                        _ = interrupt.recv() => tracing::debug!("SIGINT received"),
                    }
                    fired.cancel();
                });
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!("cannot listen for SIGTERM/SIGINT ({error}); shutdown hooks will not run on signals");
            }
        }
    }
    #[cfg(not(unix))]
    {
        let fired = token.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                fired.cancel();
            }
        });
    }
    token
}
