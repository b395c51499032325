//! What every platform module provides ([`Target`]), the function under
//! test, and the cases.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use bytes::Bytes;
use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Phase, Runtime, RuntimeError};
use light_runtime_testkit::recording::{RecordingHook, SharedLog};
use serde_json::{json, Value};
use tokio::sync::{Barrier, Notify};
use tokio::task::JoinHandle;

/// The longest any wait in the suite may take.
pub(crate) const WAIT: Duration = Duration::from_secs(20);
/// The invocation timeout every target configures (FC's header is whole seconds).
pub(crate) const TIMEOUT: Duration = Duration::from_secs(1);

/// How an invocation ended, as the platform saw it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    /// The function's response.
    Ok(Value),
    /// An error with its type and message.
    Err { error_type: String, message: String },
}

impl Answer {
    /// An error answer from a JSON body with `errorType` and `errorMessage`.
    pub(crate) fn from_error_body(body: &Value) -> Answer {
        Answer::Err {
            error_type: body["errorType"].as_str().unwrap_or("?").to_owned(),
            message: body["errorMessage"].as_str().unwrap_or("?").to_owned(),
        }
    }

    pub(crate) fn expect_error(self, expected_type: &str) -> String {
        match self {
            Answer::Err {
                error_type,
                message,
            } => {
                assert_eq!(error_type, expected_type, "error type ({message})");
                message
            }
            Answer::Ok(value) => panic!("expected a {expected_type} error, got response {value}"),
        }
    }
}

/// How a target is started.
#[derive(Clone, Default)]
pub(crate) struct Start {
    pub hooks: Vec<RecordingHook>,
    pub fail_function_start: bool,
    /// Invocations the platform may send at once (targets that allow it).
    pub concurrency: Option<usize>,
}

/// A platform: its emulator with a runtime serving [`function`] behind it.
pub(crate) trait Target: Sized {
    /// Starts the emulator and the runtime; returns once invocations can be sent.
    fn start(start: Start) -> impl Future<Output = Self>;
    /// Sends one event and waits for its answer.
    fn invoke(&self, event: Bytes) -> impl Future<Output = Answer>;
    /// Sends every event, `parallel` at a time where the platform allows,
    /// and returns how many answers each got (must be exactly 1).
    fn invoke_many(&self, events: Vec<Bytes>) -> impl Future<Output = Vec<(Answer, usize)>>;
    /// Waits until the platform sees the instance idle after the last
    /// answer (AfterResponse done; Freeze where the platform has it);
    /// `log` is the hooks' log, for platforms with nothing else to watch.
    fn settle(&self, log: &SharedLog) -> impl Future<Output = ()>;
    /// Sends `event` (a slow one), shuts the instance down the platform's
    /// way once the handler runs (SIGTERM, FC `/pre-stop`), and returns the
    /// event's answer and the runtime's result.
    fn shutdown_during(
        self,
        event: Bytes,
        key: &str,
    ) -> impl Future<Output = (Answer, Result<(), RuntimeError>)>;
    /// Stops the runtime the platform's way and returns its result.
    fn stop(self) -> impl Future<Output = Result<(), RuntimeError>>;
    /// The phases one hook sees for one invocation, start to end.
    fn one_invocation_phases() -> Vec<Phase>;
    /// Starts with a failing FunctionStart; returns the runtime's error
    /// after asserting what the platform saw.
    fn failing_function_start() -> impl Future<Output = RuntimeError>;
}

/// Starts `function` with `env` and `start`'s hooks.
pub(crate) fn spawn_runtime(
    env: Vec<(String, String)>,
    start: &Start,
) -> (CancellationToken, JoinHandle<Result<(), RuntimeError>>) {
    let shutdown = CancellationToken::new();
    let mut builder = Runtime::builder().with_environment(Environment::from_vars(env));
    for hook in &start.hooks {
        builder = builder.hook(hook.clone());
    }
    if start.fail_function_start {
        builder = builder
            .on_function_start(|| async { Err::<(), _>(Error::msg("cannot load the model")) });
    }
    (
        shutdown.clone(),
        tokio::spawn(builder.run_until(function, shutdown)),
    )
}

/// Cancels `shutdown` (SIGTERM) and waits for the runtime's result.
pub(crate) async fn finish(
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RuntimeError>>,
) -> Result<(), RuntimeError> {
    shutdown.cancel();
    joined(task).await
}

/// The runtime's result, within [`WAIT`].
pub(crate) async fn joined(task: JoinHandle<Result<(), RuntimeError>>) -> Result<(), RuntimeError> {
    tokio::time::timeout(WAIT, task)
        .await
        .expect("the runtime stops in time")
        .expect("no panic")
}

/// Waits until `log` holds `count` records of `phase`.
pub(crate) async fn wait_logged(log: &SharedLog, phase: Phase, count: usize) {
    tokio::time::timeout(WAIT, async {
        while log.records().iter().filter(|r| r.phase == phase).count() < count {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the phase was logged in time");
}

static STARTED: LazyLock<(Mutex<HashSet<String>>, Notify)> = LazyLock::new(Default::default);
static BARRIERS: LazyLock<Mutex<HashMap<String, Arc<Barrier>>>> = LazyLock::new(Default::default);

/// Waits until the handler for `{"do":"sleep","key":key}` runs.
pub(crate) async fn wait_started(key: &str) {
    let (started, notify) = &*STARTED;
    tokio::time::timeout(WAIT, async {
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if started.lock().unwrap().contains(key) {
                return;
            }
            notified.await;
        }
    })
    .await
    .expect("the slow invocation started");
}

/// The function every platform runs. `{"do": ...}` picks what it does:
/// `fail` (a `ParseIntError`), `panic`, `sleep` (`ms`, announcing `key`),
/// `gather` (waits at barrier `key` for `n` invocations), `context` (reports
/// its context); anything else is echoed.
pub(crate) async fn function(event: Value, ctx: Context) -> Result<Value, Error> {
    match event["do"].as_str() {
        Some("fail") => Ok(Value::from(
            event["n"].as_str().unwrap_or("x").parse::<u32>()?,
        )),
        Some("panic") => panic!("the function was told to panic"),
        Some("sleep") => {
            let key = event["key"].as_str().unwrap_or_default().to_owned();
            STARTED.0.lock().unwrap().insert(key);
            STARTED.1.notify_waiters();
            tokio::time::sleep(Duration::from_millis(event["ms"].as_u64().unwrap_or(0))).await;
            Ok(json!({"slept": true}))
        }
        Some("gather") => {
            let key = event["key"].as_str().unwrap_or_default().to_owned();
            let n = event["n"].as_u64().unwrap_or(1) as usize;
            let barrier = BARRIERS
                .lock()
                .unwrap()
                .entry(key)
                .or_insert_with(|| Arc::new(Barrier::new(n)))
                .clone();
            tokio::time::timeout(WAIT, barrier.wait())
                .await
                .map_err(Error::from)?;
            Ok(json!({"gathered": n}))
        }
        Some("context") => Ok(context_report(&ctx)),
        _ => Ok(event),
    }
}

/// Every context field, as JSON.
pub(crate) fn context_report(ctx: &Context) -> Value {
    let remaining = ctx.remaining();
    json!({
        "request_id": ctx.request_id(),
        "function_name": ctx.function_name(),
        "function_version": ctx.function_version(),
        "memory_mb": ctx.memory_mb(),
        "region": ctx.region(),
        "account_id": ctx.account_id(),
        "platform": ctx.platform().short_name(),
        "trigger": ctx.trigger().as_str(),
        "deadline_ms": remaining.map(|r| (r.as_millis() as u64).div_ceil(1000) * 1000),
        "cold_start": ctx.is_cold_start(),
        "sequence": ctx.sequence(),
        "traceparent": ctx.trace().map(|t| t.to_traceparent()),
        "access_key_id": ctx.credentials().map(|c| c.access_key_id.clone()),
        "credentials_debug_redacted": ctx.credentials().map(|c| !format!("{c:?}").contains("s3cr3t")),
        "http_method": ctx.http_request().map(|r| r.method.as_str().to_owned()),
        "cancelled": ctx.is_cancelled(),
    })
}
