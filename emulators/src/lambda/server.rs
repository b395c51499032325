//! The loopback HTTP/1.1 server: accepts connections, reads each request,
//! routes it to the runtime or extension handlers and answers.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use super::call::{error_reply, finish, Call, Reply};
use super::state::EmulatorState;
use super::{extension, runtime, streamed};

/// Accepts connections until `stop`, then drops the listener.
pub(crate) async fn accept(listener: TcpListener, shared: Arc<EmulatorState>) {
    let mut stopped = shared.stopped.subscribe();
    loop {
        let accepted = tokio::select! {
            biased;
            _ = async { stopped.wait_for(|stopped| *stopped).await.is_ok() } => break,
            accepted = listener.accept() => accepted,
        };
        // Transient accept errors (a reset before accept) just skip that peer.
        let Ok((stream, _)) = accepted else { continue };
        if *shared.stopped.borrow() {
            break;
        }
        // Requests are small and latency is measured: no Nagle delay.
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, shared.clone()));
    }
}

/// Serves one keep-alive connection until the peer closes it or `stop`.
///
/// A connection opened before a SnapStart restore is dead after it, as a
/// TCP connection kept in a snapshot is on Lambda: a request on it is
/// recorded as a stale-connection call and the connection closed unanswered.
async fn connection(stream: TcpStream, shared: Arc<EmulatorState>) {
    let mut stopped = shared.stopped.subscribe();
    let service_shared = shared.clone();
    let opened_under = shared.lock().restores;
    let service = service_fn(move |request| {
        let shared = service_shared.clone();
        async move {
            if shared.lock().restores != opened_under {
                return Err(stale_connection(&shared, request));
            }
            Ok::<_, StaleConnection>(route(&shared, request).await)
        }
    });
    let serve = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        biased;
        // Dropping the connection closes it, also under a waiting `next`.
        _ = async { stopped.wait_for(|stopped| *stopped).await.is_ok() } => {}
        _ = serve => {}
    }
}

/// Why a connection from before a restore was closed unanswered.
#[derive(Debug)]
struct StaleConnection;

impl std::fmt::Display for StaleConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a connection opened before the SnapStart restore was used after it")
    }
}

impl std::error::Error for StaleConnection {}

/// Records a request that came on a connection opened before the latest
/// restore; its body is not read.
fn stale_connection(shared: &EmulatorState, request: Request<Incoming>) -> StaleConnection {
    let (parts, _) = request.into_parts();
    let call = Call {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        headers: parts.headers,
        body: Bytes::new(),
    };
    let mut state = shared.lock();
    state.stale_connection_calls.push(call.record(0));
    shared.changed.notify_waiters();
    StaleConnection
}

const RUNTIME_PREFIX: &str = "/2018-06-01/runtime/";
const EXTENSION_PREFIX: &str = "/2020-01-01/extension/";

async fn route(shared: &EmulatorState, request: Request<Incoming>) -> Reply {
    let (parts, body) = request.into_parts();
    // Under a base path (cargo-lambda's `/.rt`) the APIs are served only
    // there; a call that leaves it out finds nothing.
    // The recorded path is the one under the base; one outside it is
    // recorded marked, so it matches no endpoint and its 404 says why.
    let given = parts.uri.path();
    let path = match given.strip_prefix(shared.base_path.as_str()) {
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => format!("/(outside {}){given}", shared.base_path),
    };
    let call = Call {
        method: parts.method,
        path,
        headers: parts.headers,
        body: Bytes::new(),
    };
    let streamed_id = streamed_response_id(&call).map(str::to_owned);
    let read = match &streamed_id {
        Some(request_id) => streamed::read(shared, request_id, body).await,
        None => body
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .map_err(|error| error.to_string()),
    };
    let call = match read {
        Ok(body) => Call { body, ..call },
        Err(error) => {
            let reply = error_reply(
                StatusCode::BAD_REQUEST,
                "TruncatedHTTPRequest",
                &format!("the request body ended early: {error}"),
            );
            return finish(shared, call, reply);
        }
    };

    if let Some(rest) = call.path.strip_prefix(RUNTIME_PREFIX) {
        match rest {
            "invocation/next" if call.method == Method::GET => {
                return runtime::next(shared, call).await
            }
            "init/error" if call.method == Method::POST => {
                return runtime::init_error(shared, call)
            }
            "invocation/next" | "init/error" => return method_not_allowed(shared, call),
            "restore/next" if shared.snap_start && call.method == Method::GET => {
                return runtime::restore_next(shared, call)
            }
            "restore/error" if shared.snap_start && call.method == Method::POST => {
                return runtime::restore_error(shared, call)
            }
            "restore/next" | "restore/error" if shared.snap_start => {
                return method_not_allowed(shared, call)
            }
            _ => {}
        }
        if let Some((request_id, answer)) = rest
            .strip_prefix("invocation/")
            .and_then(|rest| rest.rsplit_once('/'))
        {
            let kind = match answer {
                "response" => Some(runtime::AnswerKind::Response),
                "error" => Some(runtime::AnswerKind::Error),
                _ => None,
            };
            if let Some(kind) = kind {
                if call.method != Method::POST {
                    return method_not_allowed(shared, call);
                }
                let request_id = request_id.to_owned();
                return runtime::answer(shared, call, &request_id, kind);
            }
        }
    } else if let Some(rest) = call.path.strip_prefix(EXTENSION_PREFIX) {
        match (rest, &call.method) {
            ("register", &Method::POST) => return extension::register(shared, call),
            ("event/next", &Method::GET) => return extension::next(shared, call).await,
            ("init/error" | "exit/error", &Method::POST) => return extension::error(shared, call),
            ("register" | "event/next" | "init/error" | "exit/error", _) => {
                return method_not_allowed(shared, call)
            }
            _ => {}
        }
    }
    let message = format!("no such endpoint: {} {}", call.method, call.path);
    finish(
        shared,
        call,
        error_reply(StatusCode::NOT_FOUND, "NotFound", &message),
    )
}

/// The request id of a streamed `/response` post
/// (`Lambda-Runtime-Function-Response-Mode: streaming`), whose body is
/// recorded as it arrives.
fn streamed_response_id(call: &Call) -> Option<&str> {
    let mode = call.header("lambda-runtime-function-response-mode")?;
    if call.method != Method::POST || !mode.eq_ignore_ascii_case("streaming") {
        return None;
    }
    call.path
        .strip_prefix(RUNTIME_PREFIX)?
        .strip_prefix("invocation/")?
        .strip_suffix("/response")
        .filter(|id| !id.contains('/'))
}

fn method_not_allowed(shared: &EmulatorState, call: Call) -> Reply {
    let message = format!("{} is not allowed on {}", call.method, call.path);
    let reply = error_reply(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", &message);
    finish(shared, call, reply)
}
