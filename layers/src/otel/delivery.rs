//! [`Delivery`]: when to export, for how long, and what was dropped.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, Weak};
use std::time::Duration;

use runtime_engine::Lifecycle;
use tokio::time::Instant;

/// The first back-off after a failed export at `Freeze`.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest back-off.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Delivery state of one signal (metrics or spans).
#[derive(Debug)]
pub(crate) struct Delivery {
    signal: &'static str,
    dropped: AtomicU64,
    warned: AtomicBool,
    /// After a failure, `Freeze` flushes wait until then (`Close` never waits).
    retry_after: Mutex<Option<(Instant, Duration)>>,
    /// To read the phase budgets; set when the layer is attached.
    lifecycle: OnceLock<Weak<Lifecycle>>,
}

impl Delivery {
    pub(crate) fn new(signal: &'static str) -> Self {
        Delivery {
            signal,
            dropped: AtomicU64::new(0),
            warned: AtomicBool::new(false),
            retry_after: Mutex::new(None),
            lifecycle: OnceLock::new(),
        }
    }

    /// How long this signal's export may take in a phase with `budget`
    /// (metrics and spans share it), capped by the OTLP timeout.
    pub(crate) fn time_limit(&self, closing: bool, otlp_timeout: Duration) -> Duration {
        let phase_budget = |budgets: &runtime_engine::Budgets| {
            if closing {
                budgets.close
            } else {
                budgets.freeze
            }
        };
        let budget = match self.lifecycle() {
            Some(lifecycle) => phase_budget(lifecycle.budgets()),
            None => phase_budget(&runtime_engine::Budgets::default()),
        };
        (budget * 2 / 5).min(otlp_timeout)
    }

    /// Whether a `Freeze` flush should try now (not backing off).
    /// Lets the exports see the runtime's phase budgets and invocation
    /// count; the first lifecycle attached wins.
    pub(crate) fn attach(&self, lifecycle: &std::sync::Arc<Lifecycle>) {
        let _ = self.lifecycle.set(std::sync::Arc::downgrade(lifecycle));
    }

    /// The attached lifecycle, while the runtime lives.
    pub(crate) fn lifecycle(&self) -> Option<std::sync::Arc<Lifecycle>> {
        self.lifecycle.get().and_then(Weak::upgrade)
    }

    pub(crate) fn should_try(&self, closing: bool) -> bool {
        if closing {
            return true;
        }
        // The Freeze before the first `next` holds only init data, and on a
        // cold start the first event is usually already waiting: exporting
        // then (against a slow or dead endpoint: its whole time limit) would
        // be paid as cold-start latency. It goes out at the next Freeze, or
        // at Close; nothing is lost.
        let invoked = self
            .lifecycle()
            .is_none_or(|lifecycle| lifecycle.invocations() > 0);
        if !invoked {
            return false;
        }
        let retry_after = self.retry_after.lock().unwrap_or_else(|p| p.into_inner());
        retry_after.is_none_or(|(at, _)| Instant::now() >= at)
    }

    /// Records a successful export.
    pub(crate) fn succeeded(&self) {
        *self.retry_after.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Records a failed attempt: backs off further `Freeze` flushes.
    pub(crate) fn failed(&self, reason: &str) {
        let mut retry_after = self.retry_after.lock().unwrap_or_else(|p| p.into_inner());
        let delay = retry_after.map_or(FIRST_BACKOFF, |(_, d)| (d * 2).min(MAX_BACKOFF));
        *retry_after = Some((Instant::now() + delay, delay));
        tracing::debug!(signal = self.signal, "telemetry export failed: {reason}");
    }

    /// Counts `count` dropped items; the first drop is logged (once per process).
    pub(crate) fn dropped(&self, count: u64, reason: &str) {
        if count == 0 {
            return;
        }
        self.dropped.fetch_add(count, Ordering::Relaxed);
        if !self.warned.swap(true, Ordering::Relaxed) {
            let message = format!(
                "light-runtime: dropped {count} {} because {reason}; invocations are not affected. \
                 Check OTEL_EXPORTER_OTLP_ENDPOINT. Further drops are counted, not logged.",
                self.signal
            );
            crate::subscriber::warn(&message);
        }
    }

    /// Records a successful export in which the collector refused some
    /// items (OTLP's `partial_success`): they are counted as dropped.
    pub(crate) fn partly_rejected(&self, url: &str, rejected: u64, message: &str) {
        self.succeeded();
        let why = if message.is_empty() {
            "it gave no reason"
        } else {
            message
        };
        self.dropped(
            rejected,
            &format!("the collector at {url} refused them ({why})"),
        );
    }

    /// Items dropped so far.
    pub(crate) fn dropped_total(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
