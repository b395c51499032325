//! The SCF emulator's state and its HTTP handlers.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

use super::{ScfEvent, ScfResult};
use crate::lambda::call::{error_reply, insert_header, json_reply, Call, Reply};
use crate::lambda::RecordedCall;

#[derive(Debug)]
pub(crate) struct EmulatorState {
    state: Mutex<State>,
    queued: Notify,
    changed: Notify,
    pub(crate) stopped: watch::Sender<bool>,
    ids: AtomicU64,
    memory_mb: u32,
    time_limit: Duration,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    queue: VecDeque<(String, ScfEvent)>,
    /// The event handed out and not answered yet.
    current: Option<(String, ScfEvent)>,
    /// The last answered id: later posts are duplicates of it.
    last_answered: Option<String>,
    pub(crate) results: HashMap<String, ScfResult>,
    pub(crate) answers: HashMap<String, usize>,
    pub(crate) handed_out: Vec<String>,
    pub(crate) calls: Vec<RecordedCall>,
    pub(crate) next_waiting: usize,
    pub(crate) ready: bool,
    pub(crate) fail_next: (usize, u16),
    pub(crate) delay: Duration,
}

impl EmulatorState {
    pub(crate) fn new(memory_mb: u32, time_limit: Duration) -> Self {
        EmulatorState {
            state: Mutex::default(),
            queued: Notify::new(),
            changed: Notify::new(),
            stopped: watch::Sender::new(false),
            ids: AtomicU64::new(0),
            memory_mb,
            time_limit,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, event: ScfEvent) -> String {
        let id = event
            .request_id
            .clone()
            .unwrap_or_else(|| format!("scf-{:08}", self.ids.fetch_add(1, Ordering::Relaxed) + 1));
        self.lock().queue.push_back((id.clone(), event));
        self.queued.notify_one();
        id
    }

    pub(crate) async fn wait_for<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&State) -> Option<T>,
    ) -> Option<T> {
        let wait = async {
            loop {
                let mut notified = pin!(self.changed.notified());
                notified.as_mut().enable();
                if let Some(found) = check(&self.lock()) {
                    return found;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.ok()
    }

    fn record(&self, state: &mut State, call: &Call, status: StatusCode) {
        state.calls.push(call.record(status.as_u16()));
        self.changed.notify_waiters();
    }
}

pub(crate) async fn accept(listener: TcpListener, shared: Arc<EmulatorState>) {
    let mut stopped = shared.stopped.subscribe();
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stopped.wait_for(|s| *s) => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, shared.clone()));
    }
}

async fn connection(stream: TcpStream, shared: Arc<EmulatorState>) {
    let mut stopped = shared.stopped.subscribe();
    let service_shared = shared.clone();
    let service = hyper::service::service_fn(move |request| {
        let shared = service_shared.clone();
        async move { Ok::<_, Infallible>(route(&shared, request).await) }
    });
    let serve =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = stopped.wait_for(|s| *s) => {}
        _ = serve => {}
    }
}

async fn route(shared: &EmulatorState, request: Request<Incoming>) -> Reply {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let call = Call {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        headers: parts.headers,
        body,
    };
    let delay = shared.lock().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let reply = match (&call.method, call.path.as_str()) {
        (&Method::POST, "/runtime/init/ready") => {
            shared.lock().ready = true;
            json_reply(StatusCode::OK, "{}")
        }
        (&Method::GET, "/runtime/invocation/next") => return next(shared, call).await,
        (&Method::POST, "/runtime/invocation/response") => answer(shared, &call, false),
        (&Method::POST, "/runtime/invocation/error") => answer(shared, &call, true),
        _ => error_reply(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("no such endpoint: {} {}", call.method, call.path),
        ),
    };
    shared.record(&mut shared.lock(), &call, reply.status());
    reply
}

async fn next(shared: &EmulatorState, call: Call) -> Reply {
    let mut counted = false;
    let reply = loop {
        let mut queued = pin!(shared.queued.notified());
        queued.as_mut().enable();
        {
            let mut state = shared.lock();
            if state.fail_next.0 > 0 {
                state.fail_next.0 -= 1;
                let status = StatusCode::from_u16(state.fail_next.1)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                break error_reply(status, "Emulator.InjectedFailure", "told to fail this call");
            }
            // SCF: `next` during an invocation hands out the same event.
            if let Some((id, event)) = state.current.clone() {
                break event_reply(shared, &id, &event);
            }
            if let Some((id, event)) = state.queue.pop_front() {
                state.handed_out.push(id.clone());
                let reply = event_reply(shared, &id, &event);
                state.current = Some((id, event));
                break reply;
            }
            if !counted {
                counted = true;
                state.next_waiting += 1;
                shared.changed.notify_waiters();
            }
        }
        queued.await;
    };
    let mut state = shared.lock();
    if counted {
        state.next_waiting -= 1;
    }
    shared.record(&mut state, &call, reply.status());
    reply
}

fn event_reply(shared: &EmulatorState, id: &str, event: &ScfEvent) -> Reply {
    let mut headers = HeaderMap::new();
    let limits = [
        ("request_id".to_owned(), id.to_owned()),
        (
            "memory_limit_in_mb".to_owned(),
            shared.memory_mb.to_string(),
        ),
        (
            "time_limit_in_ms".to_owned(),
            shared.time_limit.as_millis().to_string(),
        ),
        ("content-type".to_owned(), "application/json".to_owned()),
    ];
    for (name, value) in &limits {
        if !event.without.iter().any(|w| w.eq_ignore_ascii_case(name)) {
            let _ = insert_header(&mut headers, name, value);
        }
    }
    // The event's own headers replace the emulator's.
    for (name, value) in &event.headers {
        let _ = insert_header(&mut headers, name, value);
    }
    let mut reply = Response::new(Full::new(event.body.clone()));
    *reply.headers_mut() = headers;
    reply
}

fn answer(shared: &EmulatorState, call: &Call, error: bool) -> Reply {
    let mut state = shared.lock();
    let Some((id, _)) = state.current.take() else {
        if let Some(last) = state.last_answered.clone() {
            *state.answers.entry(last).or_default() += 1;
        }
        return error_reply(
            StatusCode::BAD_REQUEST,
            "InvalidState",
            "no invocation in flight: the first answer is final",
        );
    };
    *state.answers.entry(id.clone()).or_default() += 1;
    let body: Bytes = call.body.clone();
    let result = if error {
        ScfResult::Error { body }
    } else {
        ScfResult::Response { body }
    };
    state.results.insert(id.clone(), result);
    state.last_answered = Some(id);
    json_reply(StatusCode::OK, "{}")
}
