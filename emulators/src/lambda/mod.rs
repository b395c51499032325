//! [`LambdaEmulator`]: the AWS Lambda Runtime API (and the parts of the
//! Extensions API a runtime meets) over loopback, handing out queued events
//! and recording every call.
//!
//! It follows `shared/reference/runtime-apis.md` section 1 and RIE's status
//! codes: `202 {"status":"OK"}` for accepted posts, `400 InvalidRequestID`
//! for an id not in flight, `403 InvalidStateTransition` for a second answer
//! or a late `init/error`, `413 RequestEntityTooLarge` past 6 MiB + 100 bytes
//! (buffered responses only). A streamed response
//! (`Lambda-Runtime-Function-Response-Mode: streaming`) is recorded chunk by
//! chunk as it arrives, with its error trailers ([`StreamedResponse`]); the
//! 200 MB streamed limit and RIE's bandwidth shaping are not emulated.
//!
//! ```
//! use std::time::Duration;
//! use light_runtime_emulators::lambda::{Event, LambdaEmulator};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let emulator = LambdaEmulator::start().await.unwrap();
//! let request_id = emulator.push(Event::json(serde_json::json!({"hello": "world"})));
//! // ... start a runtime with AWS_LAMBDA_RUNTIME_API=emulator.runtime_api() ...
//! # let _ = request_id;
//! assert!(emulator.result("nobody-answered", Duration::from_millis(10)).await.is_none());
//! # });
//! ```
//!
//! # Layout
//! - [`event`]: [`Event`], what a `next` hands out.
//! - [`record`]: [`RecordedCall`] and [`InvocationResult`], what it remembers.
//! - [`streamed`]: [`StreamedResponse`], a streamed `/response` recorded
//!   chunk by chunk as it arrives, with its trailers.
//! - `state`, `server`, `call`, `runtime`, `extension`: the shared state
//!   (`EmulatorState`), the hyper server, the
//!   request and reply types the handlers share, and the two APIs' handlers.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;

pub(crate) mod call;
pub mod event;
mod extension;
pub mod record;
mod runtime;
pub(crate) mod server;
mod state;
pub mod streamed;

pub use event::Event;
pub use record::{InvocationResult, RecordedCall};
pub use streamed::StreamedResponse;

use state::EmulatorState;

/// The ARN given to events unless [`EmulatorBuilder::function_arn`] says otherwise.
pub const DEFAULT_FUNCTION_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:test-function";

/// The time from hand-out to deadline unless [`EmulatorBuilder::timeout`]
/// or [`Event::deadline_in`] says otherwise (Lambda's default timeout).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// The largest buffered `/response` or `/error` body the emulator accepts,
/// 6 MiB + 100 bytes; one byte more gets `413 RequestEntityTooLarge`.
pub const MAX_PAYLOAD: usize = runtime::MAX_PAYLOAD;

/// How long extensions get after SHUTDOWN (the `deadlineMs` of the event):
/// Lambda's shutdown phase with external extensions.
const SHUTDOWN_WINDOW: Duration = Duration::from_millis(2000);

/// Settings for a [`LambdaEmulator`]; made by [`LambdaEmulator::builder`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    function_arn: String,
    base_path: String,
    timeout: Duration,
}

impl EmulatorBuilder {
    /// The ARN sent as `Lambda-Runtime-Invoked-Function-Arn`; its function
    /// name is what extensions are told on register.
    pub fn function_arn(mut self, function_arn: impl Into<String>) -> Self {
        self.function_arn = function_arn.into();
        self
    }

    /// The time each event gets from the moment it is handed out to its
    /// deadline (`Lambda-Runtime-Deadline-Ms`), unless the event overrides it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Serves the APIs under `base` (`/.rt`), as cargo-lambda's emulator
    /// does: [`runtime_api`](LambdaEmulator::runtime_api) is then a URL
    /// (`http://127.0.0.1:PORT/.rt`), and a call outside `base` gets `404`.
    pub fn base_path(mut self, base: impl Into<String>) -> Self {
        self.base_path = base.into().trim_end_matches('/').to_owned();
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<LambdaEmulator> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(EmulatorState::new(
            self.function_arn,
            self.base_path,
            self.timeout,
        ));
        tokio::spawn(server::accept(listener, shared.clone()));
        Ok(LambdaEmulator { addr, shared })
    }
}

/// An emulator of the AWS Lambda Runtime API on loopback.
///
/// Queue events with [`push`](Self::push); a runtime pointed at
/// [`runtime_api`](Self::runtime_api) pulls them with `next` and answers;
/// tests then read [`result`](Self::result), [`calls`](Self::calls) and the
/// counters. Dropping it stops the server like [`stop`](Self::stop).
///
/// Every `wait_*` and [`result`](Self::result) takes a timeout. Under
/// `tokio::time::pause()` that timeout elapses as soon as the test's runtime
/// is idle, so wait on real I/O with time running.
pub struct LambdaEmulator {
    addr: SocketAddr,
    shared: Arc<EmulatorState>,
}

impl fmt::Debug for LambdaEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LambdaEmulator")
            .field("addr", &self.addr)
            .field("function_arn", &self.shared.function_arn)
            .finish_non_exhaustive()
    }
}

impl LambdaEmulator {
    /// Settings to start an emulator with; see [`EmulatorBuilder`].
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            function_arn: DEFAULT_FUNCTION_ARN.to_owned(),
            base_path: String::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// An emulator with the default ARN and timeout.
    pub async fn start() -> std::io::Result<LambdaEmulator> {
        LambdaEmulator::builder().start().await
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`: `host:port`, no scheme, as
    /// Lambda sets it; with a [`base_path`](EmulatorBuilder::base_path),
    /// `http://host:port/base`, as cargo-lambda sets it.
    pub fn runtime_api(&self) -> String {
        match self.shared.base_path.as_str() {
            "" => self.addr.to_string(),
            base => format!("http://{}{base}", self.addr),
        }
    }

    /// Queues `event` for the next runtime `next` and returns its request id.
    pub fn push(&self, event: Event) -> String {
        let request_id = event.request_id.clone().unwrap_or_else(event::fresh_id);
        self.shared
            .lock()
            .queue
            .push_back((request_id.clone(), event));
        self.shared.event_queued.notify_one();
        request_id
    }

    /// Waits up to `timeout` for the answer to `request_id`.
    pub async fn result(&self, request_id: &str, timeout: Duration) -> Option<InvocationResult> {
        self.shared
            .wait_for(timeout, |state| state.results.get(request_id).cloned())
            .await
    }

    /// The streamed response to `request_id` as far as it has arrived
    /// (`None` if none was streamed). A streamed response that is accepted
    /// is also its [`result`](Self::result), with the whole body.
    pub fn streamed(&self, request_id: &str) -> Option<StreamedResponse> {
        self.shared.lock().streams.get(request_id).cloned()
    }

    /// Waits up to `timeout` until the streamed response to `request_id`
    /// satisfies `check` (e.g. its first chunk arrived, or it is complete)
    /// and returns it as it was then; `None` on timeout.
    pub async fn wait_streamed(
        &self,
        request_id: &str,
        timeout: Duration,
        mut check: impl FnMut(&StreamedResponse) -> bool,
    ) -> Option<StreamedResponse> {
        self.shared
            .wait_for(timeout, |state| {
                state
                    .streams
                    .get(request_id)
                    .filter(|streamed| check(streamed))
                    .cloned()
            })
            .await
    }

    /// Waits up to `timeout` until at least `count` invocations have been
    /// answered (accepted `/response` or `/error`); `false` on timeout.
    pub async fn wait_results(&self, count: usize, timeout: Duration) -> bool {
        self.shared
            .wait_for(timeout, |state| {
                (state.results.len() >= count).then_some(())
            })
            .await
            .is_some()
    }

    /// Waits up to `timeout` until at least `count` runtime `next` calls are
    /// blocked waiting for an event right now: the runtime is idle, or `count`
    /// workers are polling. `false` on timeout.
    pub async fn wait_next_waiting(&self, count: usize, timeout: Duration) -> bool {
        self.shared
            .wait_for(timeout, |state| (state.next_waiting >= count).then_some(()))
            .await
            .is_some()
    }

    /// How many `/response` and `/error` posts arrived for `request_id`,
    /// rejected ones (duplicates, 413) included. A well-behaved runtime
    /// makes this exactly 1.
    pub fn answers_for(&self, request_id: &str) -> usize {
        self.shared
            .lock()
            .answers
            .get(request_id)
            .copied()
            .unwrap_or(0)
    }

    /// The most events ever handed out and not yet answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.lock().max_in_flight
    }

    /// The first accepted `POST /runtime/init/error`.
    pub fn init_error(&self) -> Option<RecordedCall> {
        self.shared.lock().init_error.clone()
    }

    /// Waits up to `timeout` for a `POST /runtime/init/error`.
    pub async fn wait_init_error(&self, timeout: Duration) -> Option<RecordedCall> {
        self.shared
            .wait_for(timeout, |state| state.init_error.clone())
            .await
    }

    /// Every HTTP call answered so far, in the order answered (a `next` is
    /// recorded when it gets its event, not when it starts waiting).
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.lock().calls.clone()
    }

    /// The names of the registered extensions, in registration order.
    pub fn extensions(&self) -> Vec<String> {
        let state = self.shared.lock();
        state.extensions.iter().map(|e| e.name.clone()).collect()
    }

    /// How many answered calls have a path ending in `path_suffix`,
    /// e.g. `"/response"` or `"invocation/next"`.
    pub fn count(&self, path_suffix: &str) -> usize {
        let state = self.shared.lock();
        state
            .calls
            .iter()
            .filter(|call| call.path.ends_with(path_suffix))
            .count()
    }

    /// Makes the next `n` runtime `next` calls answer `status` with an error
    /// JSON at once, without handing out an event. Such calls do not end
    /// init (extensions may still register, `init/error` is still accepted).
    pub fn fail_next_calls(&self, n: usize, status: u16) {
        let mut state = self.shared.lock();
        state.fail_next = n;
        state.fail_status = status;
    }

    /// Makes extension registration answer `403 Extension.RegistrationClosed`
    /// (`true`) or behave normally again (`false`).
    pub fn refuse_extensions(&self, refuse: bool) {
        self.shared.lock().refuse_extensions = refuse;
    }

    /// Sends `{"eventType":"SHUTDOWN","shutdownReason":reason,"deadlineMs":..}`
    /// to every extension subscribed to SHUTDOWN that waits in `event/next`,
    /// now or later. The runtime itself is not told: on Lambda it gets SIGTERM.
    pub fn shutdown(&self, reason: &str) {
        let deadline = SystemTime::now() + SHUTDOWN_WINDOW;
        let deadline_ms = deadline
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        let event = serde_json::json!({
            "eventType": "SHUTDOWN",
            "shutdownReason": reason,
            "deadlineMs": deadline_ms,
        });
        self.shared.shutdown.send_replace(Some(event));
    }

    /// Stops serving: open connections are closed (a waiting `next` sees its
    /// connection drop) and the listener is closed, so new connections are
    /// refused. Takes effect as soon as the server tasks next run.
    pub fn stop(&self) {
        self.shared.stopped.send_replace(true);
    }
}

impl Drop for LambdaEmulator {
    fn drop(&mut self) {
        self.stop();
    }
}
