//! [`CaptureState`]: what a [`CaptureLayer`](super::CaptureLayer), its
//! services and its hook share: the settings, the rate limit, and the
//! captures waiting to be written.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use runtime_engine::{Context, Outcome};

use super::config::CaptureConfig;
use super::logs::LogBuffer;
use super::rate::RateLimit;

/// Captures waiting for `AfterResponse`; more are dropped and counted.
const MAX_PENDING: usize = 8;

/// One invocation kept for writing: what the service saw, unredacted, in
/// memory only until the hook redacts and writes it.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) context: Context,
    pub(crate) payload: Bytes,
    /// `(type, message, kind)`; `None` for a sampled success.
    pub(crate) error: Option<(String, String, &'static str)>,
    pub(crate) logs: LogBuffer,
    pub(crate) started: tokio::time::Instant,
    pub(crate) pipeline: Duration,
    pub(crate) ended: SystemTime,
}

/// Shared by the layer's clones, services and hook.
#[derive(Debug)]
pub(crate) struct CaptureState {
    /// The settings, or why they are invalid (an init error at `RuntimeStart`).
    pub(crate) config: Result<CaptureConfig, String>,
    pub(crate) limit: RateLimit,
    pending: Mutex<Vec<Pending>>,
    /// `pending.len()`, read without the lock on every `AfterResponse`.
    pending_count: AtomicUsize,
    /// The sampling generator's state (xorshift).
    rng: AtomicU64,
    pub(crate) layers: Vec<String>,
    pub(crate) plugins: Vec<String>,
    pub(crate) written: AtomicU64,
    pub(crate) failed: AtomicU64,
}

impl CaptureState {
    pub(crate) fn new(
        config: Result<CaptureConfig, String>,
        layers: Vec<String>,
        plugins: Vec<String>,
    ) -> Self {
        let per_minute = config.as_ref().map_or(0, |c| c.per_minute);
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
            | 1;
        CaptureState {
            config,
            limit: RateLimit::new(per_minute),
            pending: Mutex::new(Vec::new()),
            pending_count: AtomicUsize::new(0),
            rng: AtomicU64::new(seed),
            layers,
            plugins,
            written: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// The fraction of successes sampled (0 when invalid).
    pub(crate) fn sample(&self) -> f64 {
        self.config.as_ref().map_or(0.0, |c| c.sample)
    }

    /// Whether this success is in the sample.
    pub(crate) fn roll(&self) -> bool {
        let sample = self.sample();
        if sample <= 0.0 {
            return false;
        }
        let mut x = self.rng.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1u64 << 53) as f64 <= sample
    }

    /// Keeps `pending` for the hook, if the rate and the queue allow.
    pub(crate) fn keep(&self, pending: Pending) {
        if !self.limit.take(std::time::Instant::now()) {
            return;
        }
        let mut queue = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if queue.len() >= MAX_PENDING {
            self.limit.count_dropped();
            return;
        }
        queue.push(pending);
        self.pending_count.store(queue.len(), Ordering::Release);
    }

    /// Whether anything waits to be written.
    pub(crate) fn has_pending(&self) -> bool {
        self.pending_count.load(Ordering::Acquire) > 0
    }

    /// Everything waiting, oldest first.
    pub(crate) fn drain(&self) -> Vec<Pending> {
        let mut queue = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        self.pending_count.store(0, Ordering::Release);
        std::mem::take(&mut *queue)
    }

    /// Builds what to keep of an invocation that ended with `outcome`, if
    /// it is to be captured.
    pub(crate) fn consider(&self, watch: Watch, outcome: &Outcome, logs: LogBuffer) {
        let error = match outcome {
            Outcome::Error(error) => Some((
                error.error_type().to_owned(),
                error.message().to_owned(),
                kind_name(error.kind()),
            )),
            Outcome::Response(_) if self.roll() => None,
            Outcome::Response(_) => return,
        };
        self.keep(Pending {
            context: watch.context,
            payload: watch.payload,
            error,
            logs,
            started: watch.started,
            pipeline: watch.started.elapsed(),
            ended: SystemTime::now(),
        });
    }
}

/// What the service holds while an invocation runs: two reference counts
/// and a clock reading.
#[derive(Debug)]
pub(crate) struct Watch {
    pub(crate) context: Context,
    pub(crate) payload: Bytes,
    pub(crate) started: tokio::time::Instant,
}

fn kind_name(kind: runtime_engine::ErrorKind) -> &'static str {
    use runtime_engine::ErrorKind;
    match kind {
        ErrorKind::Handler => "handler",
        ErrorKind::Panic => "panic",
        ErrorKind::MalformedEvent => "malformed_event",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Hook => "hook",
        ErrorKind::Runtime => "runtime",
        _ => "other",
    }
}
