//! [`Cancellation`]: an invocation's cancellation flag and its token, made
//! only when asked for.

use std::sync::atomic::{self, AtomicBool, Ordering};
use std::sync::OnceLock;

use tokio_util::sync::CancellationToken;

/// The invocation's cancellation: a flag, and the token made the first time
/// a handler asks for it, so invocations whose handler never selects on it
/// allocate none. Cancelling sets the flag and cancels the token if there is
/// one; a token made later starts cancelled.
#[derive(Default)]
pub(super) struct Cancellation {
    cancelled: AtomicBool,
    token: OnceLock<CancellationToken>,
}

impl Cancellation {
    pub(super) fn token(&self) -> &CancellationToken {
        let token = self.token.get_or_init(CancellationToken::new);
        // Pairs with the fence in `cancel`: either `cancel` sees this token,
        // or this sees its flag (a cancel racing the token's creation).
        atomic::fence(Ordering::SeqCst);
        if self.cancelled.load(Ordering::Relaxed) && !token.is_cancelled() {
            token.cancel();
        }
        token
    }

    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
        atomic::fence(Ordering::SeqCst);
        if let Some(token) = self.token.get() {
            token.cancel();
        }
    }

    pub(super) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
            || self
                .token
                .get()
                .is_some_and(CancellationToken::is_cancelled)
    }
}
