//! [`ScfEmulator`]: the Tencent Cloud SCF runtime API (reference section 3)
//! over loopback: `POST /runtime/init/ready`, `GET /runtime/invocation/next`
//! (headers `request_id`, `memory_limit_in_mb`, `time_limit_in_ms`),
//! `POST /runtime/invocation/response` and `.../error`. Paths carry no
//! request id, so one invocation is in flight at a time; a second `next`
//! during it hands out the same event again; the first answer is final and
//! later ones are refused. Every call is recorded.
//!
//! Faults: events without a header or with a bad one ([`ScfEvent::without`],
//! [`ScfEvent::header`]), `next` calls that fail ([`ScfEmulator::fail_next_calls`]),
//! and slow answers to every call ([`ScfEmulator::delay_replies`]).
//!
//! ```
//! use std::time::Duration;
//! use light_runtime_emulators::tencent_scf::{ScfEmulator, ScfEvent};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let scf = ScfEmulator::start().await.unwrap();
//! let id = scf.push(ScfEvent::json(serde_json::json!({"n": 1})));
//! // Start the runtime with `scf.env()`; then:
//! assert!(scf.result(&id, Duration::from_millis(10)).await.is_none());
//! # });
//! ```

mod server;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpListener;

use crate::lambda::RecordedCall;
use server::EmulatorState;

/// An event for `next`.
#[derive(Debug, Clone)]
pub struct ScfEvent {
    pub(crate) body: Bytes,
    pub(crate) request_id: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) without: Vec<String>,
}

impl ScfEvent {
    /// An event whose body is `value` as JSON.
    pub fn json(value: serde_json::Value) -> Self {
        ScfEvent::raw(value.to_string())
    }

    /// An event with exactly these body bytes (malformed JSON, too).
    pub fn raw(body: impl Into<Bytes>) -> Self {
        ScfEvent {
            body: body.into(),
            request_id: None,
            headers: Vec::new(),
            without: Vec::new(),
        }
    }

    /// Uses `request_id` instead of a fresh one.
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Sends header `name: value`, replacing the emulator's own.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Leaves header `name` out, e.g. `request_id`.
    pub fn without(mut self, name: impl Into<String>) -> Self {
        self.without.push(name.into());
        self
    }
}

/// How the runtime answered one invocation: its first post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScfResult {
    /// `POST /runtime/invocation/response`.
    Response {
        /// The body as posted.
        body: Bytes,
    },
    /// `POST /runtime/invocation/error`.
    Error {
        /// The body as posted (SCF takes any text).
        body: Bytes,
    },
}

impl ScfResult {
    /// Whether the runtime posted an error.
    pub fn is_error(&self) -> bool {
        matches!(self, ScfResult::Error { .. })
    }

    /// The body parsed as JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        match self {
            ScfResult::Response { body } | ScfResult::Error { body } => {
                serde_json::from_slice(body).ok()
            }
        }
    }
}

/// The SCF runtime API on `127.0.0.1`; dropping it stops the server.
#[derive(Debug)]
pub struct ScfEmulator {
    addr: SocketAddr,
    shared: Arc<EmulatorState>,
}

impl ScfEmulator {
    /// Starts with 128 MB and a 3 s time limit per event.
    pub async fn start() -> std::io::Result<ScfEmulator> {
        ScfEmulator::with_limits(128, Duration::from_secs(3)).await
    }

    /// Starts with `memory_mb` and `time_limit` sent with each event.
    pub async fn with_limits(memory_mb: u32, time_limit: Duration) -> std::io::Result<ScfEmulator> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(EmulatorState::new(memory_mb, time_limit));
        tokio::spawn(server::accept(listener, shared.clone()));
        Ok(ScfEmulator { addr, shared })
    }

    /// The variables an SCF event function gets: `SCF_RUNTIME_API` (host),
    /// `SCF_RUNTIME_API_PORT`, `TENCENTCLOUD_RUNENV=SCF`.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("SCF_RUNTIME_API".into(), self.addr.ip().to_string()),
            ("SCF_RUNTIME_API_PORT".into(), self.addr.port().to_string()),
            ("TENCENTCLOUD_RUNENV".into(), "SCF".into()),
        ]
    }

    /// Queues `event` and returns its request id.
    pub fn push(&self, event: ScfEvent) -> String {
        self.shared.push(event)
    }

    /// Waits up to `timeout` for the answer to `request_id`.
    pub async fn result(&self, request_id: &str, timeout: Duration) -> Option<ScfResult> {
        self.shared
            .wait_for(timeout, |s| s.results.get(request_id).cloned())
            .await
    }

    /// Waits up to `timeout` until `count` invocations are answered.
    pub async fn wait_results(&self, count: usize, timeout: Duration) -> bool {
        self.shared
            .wait_for(timeout, |s| (s.results.len() >= count).then_some(()))
            .await
            .is_some()
    }

    /// Waits up to `timeout` until a `next` is waiting for an event.
    pub async fn wait_next_waiting(&self, timeout: Duration) -> bool {
        self.shared
            .wait_for(timeout, |s| (s.next_waiting > 0).then_some(()))
            .await
            .is_some()
    }

    /// Waits up to `timeout` until `request_id` has been handed out.
    pub async fn wait_handed_out(&self, request_id: &str, timeout: Duration) -> bool {
        self.shared
            .wait_for(timeout, |s| {
                s.handed_out.iter().any(|id| id == request_id).then_some(())
            })
            .await
            .is_some()
    }

    /// Answers posted for `request_id`, refused duplicates included.
    pub fn answers_for(&self, request_id: &str) -> usize {
        self.shared
            .lock()
            .answers
            .get(request_id)
            .copied()
            .unwrap_or(0)
    }

    /// Whether the runtime posted `init/ready`.
    pub fn is_ready(&self) -> bool {
        self.shared.lock().ready
    }

    /// Every call answered so far.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.lock().calls.clone()
    }

    /// How many answered calls have a path ending in `suffix`.
    pub fn count(&self, suffix: &str) -> usize {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.path.ends_with(suffix))
            .count()
    }

    /// Makes the next `n` `next` calls answer `status` without an event.
    pub fn fail_next_calls(&self, n: usize, status: u16) {
        let mut state = self.shared.lock();
        state.fail_next = (n, status);
    }

    /// Delays every answer by `delay` (a slow platform).
    pub fn delay_replies(&self, delay: Duration) {
        self.shared.lock().delay = delay;
    }
}

impl Drop for ScfEmulator {
    fn drop(&mut self) {
        self.shared.stopped.send_replace(true);
    }
}
