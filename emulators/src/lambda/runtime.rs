//! The Runtime API (`/2018-06-01/runtime/...`): `next`, `response`,
//! `error` and `init/error`, with the status codes RIE answers.

use std::pin::pin;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;

use super::call::{error_reply, insert_header, json_reply, Call, Refusal, Reply};
use super::event::Event;
use super::record::InvocationResult;
use super::state::{EmulatorState, State};

/// The largest buffered response or error body accepted: 6 MiB + 100 bytes
/// (RIE `MaxPayloadSize`; its 413 message cites 6291556).
pub(crate) const MAX_PAYLOAD: usize = 6 * 1024 * 1024 + 100;

/// Which answer a runtime posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnswerKind {
    /// `POST .../{id}/response`.
    Response,
    /// `POST .../{id}/error`.
    Error,
}

/// `GET /runtime/invocation/next`: waits, without timeout, for an event.
pub(crate) async fn next(shared: &EmulatorState, call: Call) -> Reply {
    {
        let mut state = shared.lock();
        if state.fail_next > 0 {
            state.fail_next -= 1;
            let status = StatusCode::from_u16(state.fail_status)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let reply = error_reply(
                status,
                "Emulator.InjectedFailure",
                "the emulator was told to fail this call (fail_next_calls)",
            );
            shared.record(&mut state, call.record(status.as_u16()));
            return reply;
        }
        // The runtime is ready: init is over (RIE closes registration here).
        state.runtime_next_seen = true;
    }

    let mut waiting = Waiting {
        shared,
        counted: false,
    };
    loop {
        let mut queued = pin!(shared.event_queued.notified());
        // Registered before looking at the queue, so no push is missed.
        queued.as_mut().enable();
        {
            let mut state = shared.lock();
            if let Some((request_id, event)) = state.queue.pop_front() {
                if waiting.counted {
                    waiting.counted = false;
                    state.next_waiting -= 1;
                }
                state.in_flight.insert(request_id.clone());
                state.max_in_flight = state.max_in_flight.max(state.in_flight.len());
                let reply = event_reply(shared, &request_id, event);
                shared.record(&mut state, call.record(reply.status().as_u16()));
                return reply;
            }
            if !waiting.counted {
                waiting.counted = true;
                state.next_waiting += 1;
                shared.changed.notify_waiters();
            }
        }
        queued.await;
    }
}

/// Counts a `next` call among the waiting ones until it gets an event or its
/// connection goes away.
struct Waiting<'a> {
    shared: &'a EmulatorState,
    counted: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.counted {
            let mut state = self.shared.lock();
            state.next_waiting -= 1;
            drop(state);
            self.shared.changed.notify_waiters();
        }
    }
}

fn event_reply(shared: &EmulatorState, request_id: &str, event: Event) -> Reply {
    let deadline = SystemTime::now() + event.deadline_in.unwrap_or(shared.timeout);
    let deadline_ms = deadline
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());

    let mut headers = HeaderMap::with_capacity(8 + event.headers.len());
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let optional = [
        ("lambda-runtime-trace-id", event.trace_id.as_deref()),
        (
            "lambda-runtime-client-context",
            event.client_context.as_deref(),
        ),
        (
            "lambda-runtime-cognito-identity",
            event.cognito_identity.as_deref(),
        ),
        ("lambda-runtime-aws-tenant-id", event.tenant_id.as_deref()),
    ];
    let built = [
        ("lambda-runtime-aws-request-id", Some(request_id)),
        (
            "lambda-runtime-deadline-ms",
            Some(deadline_ms.to_string().as_str()),
        ),
        (
            "lambda-runtime-invoked-function-arn",
            Some(shared.function_arn.as_str()),
        ),
    ]
    .into_iter()
    .chain(optional)
    // Optional headers are omitted when unset or empty (RIE `setHeaderIfNotEmpty`).
    .filter_map(|(name, value)| Some((name, value.filter(|v| !v.is_empty())?)))
    .chain(event.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    .try_for_each(|(name, value)| insert_header(&mut headers, name, value));

    if let Err(message) = built {
        let message = format!("event `{request_id}` cannot be sent: {message}");
        return error_reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Emulator.InvalidEvent",
            &message,
        );
    }
    let mut reply = Response::new(Full::new(event.body));
    *reply.headers_mut() = headers;
    reply
}

/// `POST /runtime/invocation/{id}/response` and `.../error`.
pub(crate) fn answer(
    shared: &EmulatorState,
    call: Call,
    request_id: &str,
    kind: AnswerKind,
) -> Reply {
    let mut state = shared.lock();
    *state.answers.entry(request_id.to_owned()).or_default() += 1;
    let reply = match check_answer(&state, &call, request_id, kind) {
        Err(refusal) => refusal.reply(),
        Ok(()) => {
            state.in_flight.remove(request_id);
            let result = match kind {
                AnswerKind::Response => InvocationResult::Response {
                    body: call.body.clone(),
                    content_type: call.header("content-type").map(str::to_owned),
                },
                AnswerKind::Error => InvocationResult::Error {
                    error_type_header: call
                        .header("lambda-runtime-function-error-type")
                        .map(str::to_owned),
                    body: error_body(&call.body),
                },
            };
            state.results.insert(request_id.to_owned(), result);
            accepted()
        }
    };
    shared.record(&mut state, call.record(reply.status().as_u16()));
    reply
}

/// Why an answer is refused, in RIE's order: id, state, mode, size.
fn check_answer(
    state: &State,
    call: &Call,
    request_id: &str,
    kind: AnswerKind,
) -> Result<(), Refusal> {
    if state.results.contains_key(request_id) {
        let message = format!("invocation `{request_id}` was already answered");
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            message,
        ));
    }
    if !state.in_flight.contains(request_id) {
        let message = format!("`{request_id}` is not the id of an invocation in flight");
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            message,
        ));
    }
    let streaming = match call.header("lambda-runtime-function-response-mode") {
        None => false,
        Some(mode) if kind == AnswerKind::Response && mode.eq_ignore_ascii_case("streaming") => {
            true
        }
        Some(mode) => {
            let message = format!("response mode `{mode}` is not supported; use `streaming`");
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "InvalidFunctionResponseMode",
                message,
            ));
        }
    };
    // Streamed responses may be far larger (200 MB); that limit is not emulated.
    if !streaming && call.body.len() > MAX_PAYLOAD {
        let message = format!(
            "Exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes): got {} bytes",
            call.body.len()
        );
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            message,
        ));
    }
    Ok(())
}

/// An error body as JSON: kept as a JSON string when it is not JSON, `null`
/// when empty (Lambda accepts any body).
fn error_body(body: &[u8]) -> serde_json::Value {
    if body.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(body).into_owned()))
}

/// `POST /runtime/init/error`: accepted during init only.
pub(crate) fn init_error(shared: &EmulatorState, call: Call) -> Reply {
    let mut state = shared.lock();
    let reply = if state.runtime_next_seen {
        error_reply(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            "init/error after the runtime called next: init is over",
        )
    } else {
        accepted()
    };
    let record = call.record(reply.status().as_u16());
    if reply.status() == StatusCode::ACCEPTED && state.init_error.is_none() {
        state.init_error = Some(record.clone());
    }
    shared.record(&mut state, record);
    reply
}

/// `GET /runtime/restore/next` (SnapStart): init is done and the snapshot
/// is taken now; the answer is the restore. `200` with an empty body, once,
/// before the first `next` (RIE: a restore outside that state is an
/// `InvalidStateTransition`). Connections opened before it are dead from
/// then on.
pub(crate) fn restore_next(shared: &EmulatorState, call: Call) -> Reply {
    let mut state = shared.lock();
    let reply = if state.runtime_next_seen || state.restores > 0 {
        error_reply(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            "restore/next after the restore or after the runtime called next",
        )
    } else {
        state.restores += 1;
        json_reply(StatusCode::OK, "")
    };
    let record = call.record(reply.status().as_u16());
    shared.record(&mut state, record);
    reply
}

/// `POST /runtime/restore/error` (SnapStart): accepted between the restore
/// and the first `next`.
pub(crate) fn restore_error(shared: &EmulatorState, call: Call) -> Reply {
    let mut state = shared.lock();
    let reply = if state.restores == 0 || state.runtime_next_seen {
        error_reply(
            StatusCode::FORBIDDEN,
            "InvalidStateTransition",
            "restore/error outside the restore phase (before restore/next, or after next)",
        )
    } else {
        accepted()
    };
    let record = call.record(reply.status().as_u16());
    if reply.status() == StatusCode::ACCEPTED && state.restore_error.is_none() {
        state.restore_error = Some(record.clone());
    }
    shared.record(&mut state, record);
    reply
}

/// `202 {"status":"OK"}`.
pub(crate) fn accepted() -> Reply {
    json_reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}
