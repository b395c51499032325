//! How long each phase may take.

use std::time::Duration;

/// Time limits per phase. The defaults fit AWS Lambda, the strictest platform;
/// adapters tighten them where their platform says so.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Budgets {
    /// All `FunctionStart` hooks together; AWS allows 10 s for on-demand init.
    pub function_start: Duration,
    /// All `Snapshot` hooks together. They run in Lambda's init phase,
    /// which SnapStart allows 15 minutes; this default keeps a stuck hook
    /// from spending it.
    pub snapshot: Duration,
    /// All `Restore` hooks together. AWS documents a 10 s limit on the
    /// restore phase, hooks included (SnapStart docs; for custom
    /// runtimes **unconfirmed**).
    pub restore: Duration,
    /// The invocation's cancellation token fires this long before the deadline,
    /// so there is still time to post a timeout error.
    pub safety_margin: Duration,
    /// After the token fires, how long a handler may take to return on its own
    /// before it is dropped and a timeout error is posted.
    pub cleanup: Duration,
    /// All `AfterResponse` hooks of one invocation together.
    pub after_response: Duration,
    /// All `Freeze` hooks together.
    pub freeze: Duration,
    /// All `Close` hooks together; AWS gives a runtime with an internal
    /// extension about 500 ms after SIGTERM.
    pub close: Duration,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            function_start: Duration::from_secs(10),
            snapshot: Duration::from_secs(10),
            restore: Duration::from_secs(10),
            safety_margin: Duration::from_millis(100),
            cleanup: Duration::from_millis(50),
            after_response: Duration::from_secs(2),
            freeze: Duration::from_secs(1),
            close: Duration::from_millis(400),
        }
    }
}

impl Budgets {
    /// Sets the `FunctionStart` budget.
    pub fn with_function_start(mut self, budget: Duration) -> Self {
        self.function_start = budget;
        self
    }

    /// Sets the `Snapshot` budget.
    pub fn with_snapshot(mut self, budget: Duration) -> Self {
        self.snapshot = budget;
        self
    }

    /// Sets the `Restore` budget.
    pub fn with_restore(mut self, budget: Duration) -> Self {
        self.restore = budget;
        self
    }

    /// Sets the safety margin before the deadline and the cleanup window
    /// (half the margin).
    pub fn with_safety_margin(mut self, margin: Duration) -> Self {
        self.safety_margin = margin;
        self.cleanup = margin / 2;
        self
    }

    /// Sets the `AfterResponse` budget.
    pub fn with_after_response(mut self, budget: Duration) -> Self {
        self.after_response = budget;
        self
    }

    /// Sets the `Freeze` budget.
    pub fn with_freeze(mut self, budget: Duration) -> Self {
        self.freeze = budget;
        self
    }

    /// Sets the `Close` budget.
    pub fn with_close(mut self, budget: Duration) -> Self {
        self.close = budget;
        self
    }
}
