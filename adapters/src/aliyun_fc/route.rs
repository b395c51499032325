//! FC's requests, routed by `x-fc-control-path`, method and path.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;
use runtime_engine::{
    ContextBuilder, Invocation, InvocationError, Outcome, PlatformHeaders, Trigger,
};

use super::headers::{self, BadRequest, FcHeaders};
use super::instance_lifecycle::{ensure_started, initialize, pre_freeze, pre_stop};
use super::markers::{self, Framed};
use super::server::FcServer;
use crate::pipeline::BoxPipeline;
use crate::push_server::reply::{error_reply, response_reply, text_reply, Reply};
use crate::push_server::reply_body::hold_until_written;
use crate::push_server::request_body::{BodyError, ReadBody};

/// The kinds of request FC sends.
#[derive(Debug, PartialEq, Eq)]
enum FcRequest {
    Event,
    Http,
    Initialize,
    PreFreeze,
    PreStop,
}

/// `/http-invoke` in the header always wins (the client's own path may be
/// anything, `/pre-stop` included). The hook values of the header are
/// unconfirmed (reference 2.4), so hooks route on method + path first and
/// on the header only as a hint.
fn classify(method: &Method, path: &str, control_path: Option<&str>) -> Option<FcRequest> {
    if control_path == Some("/http-invoke") {
        return Some(FcRequest::Http);
    }
    match (method, path) {
        (&Method::POST, "/invoke") => return Some(FcRequest::Event),
        (&Method::POST, "/initialize") => return Some(FcRequest::Initialize),
        (_, "/pre-freeze") => return Some(FcRequest::PreFreeze),
        (_, "/pre-stop") => return Some(FcRequest::PreStop),
        _ => {}
    }
    match control_path? {
        "/invoke" => Some(FcRequest::Event),
        "/initialize" => Some(FcRequest::Initialize),
        "/pre-freeze" => Some(FcRequest::PreFreeze),
        "/pre-stop" => Some(FcRequest::PreStop),
        _ => None,
    }
}

/// Answers one request from FC.
pub(crate) async fn route(
    fc: Arc<FcServer>,
    pipeline: BoxPipeline,
    request: Request<Incoming>,
) -> Reply {
    let (parts, body) = request.into_parts();
    let control_path = headers::control_path(&parts.headers);
    // The lifecycle hooks are boxed: they are rare, and their futures would
    // otherwise size (and so make every invocation move) this one.
    match classify(&parts.method, parts.uri.path(), control_path) {
        Some(FcRequest::Event) => invoke(&fc, pipeline, parts, body, false).await,
        Some(FcRequest::Http) => invoke(&fc, pipeline, parts, body, true).await,
        Some(FcRequest::Initialize) => Box::pin(initialize(&fc, &parts.headers)).await,
        Some(FcRequest::PreFreeze) => Box::pin(pre_freeze(&fc, &parts.headers)).await,
        Some(FcRequest::PreStop) => Box::pin(pre_stop(&fc, &parts.headers)).await,
        None => text_reply(
            StatusCode::NOT_FOUND,
            format!(
                "not an FC request: {} {} with x-fc-control-path {:?}; FC sends POST /invoke, \
                 /http-invoke requests, POST /initialize, GET /pre-freeze and GET /pre-stop\n",
                parts.method,
                parts.uri.path(),
                control_path.unwrap_or("(none)")
            ),
        ),
    }
}

/// `x-fc-status`, made once rather than parsed on every answer.
const X_FC_STATUS: HeaderName = HeaderName::from_static("x-fc-status");

/// A failure FC records: `404` with `x-fc-status: 404` (reference 2.8).
fn failure(error: &InvocationError, request_id: &str) -> Reply {
    failure_with_status(StatusCode::NOT_FOUND, error, request_id)
}

/// A failure FC records (`x-fc-status: 404`) with its own HTTP status, for
/// requests that could not be read (`413`, `400`, `503`).
fn failure_with_status(status: StatusCode, error: &InvocationError, request_id: &str) -> Reply {
    let mut reply = error_reply(status, error, request_id);
    reply
        .headers_mut()
        .insert(X_FC_STATUS, HeaderValue::from_static("404"));
    reply
}

/// Why an invocation could not be prepared.
enum Unprepared {
    /// The function could not start, or FC's headers were wrong.
    Refused(InvocationError),
    /// The body could not be read.
    Unread(BodyError),
}

async fn invoke(
    fc: &Arc<FcServer>,
    mut pipeline: BoxPipeline,
    parts: http::request::Parts,
    body: Incoming,
    http: bool,
) -> Reply {
    let found = FcHeaders::read(&parts.headers);
    let request_id = match found.request_id() {
        Ok(id) => id,
        Err(BadRequest(message)) => {
            let error = InvocationError::runtime("Runtime.MalformedInvocation", message);
            return failure(&error, "");
        }
    };
    markers::start(&mut std::io::stdout().lock(), Framed::Invoke, request_id);
    let (invocation, held) = match prepare(fc, body, request_id, &found, http).await {
        Ok((builder, body)) => (finish((builder, body.bytes), parts, http), body.held),
        Err(unprepared) => {
            markers::end(
                &mut std::io::stdout().lock(),
                Framed::Invoke,
                request_id,
                true,
            );
            return match unprepared {
                Unprepared::Refused(error) => failure(&error, request_id),
                Unprepared::Unread(error) => {
                    error.report(request_id);
                    failure_with_status(error.status(), &error.to_invocation_error(), request_id)
                }
            };
        }
    };
    // Work in flight from here: a request whose body had not arrived is not.
    let work = fc.in_flight.start();
    // From here the request id is the context's: the header map it was
    // read from has moved into the invocation.
    let context = invocation.context.clone();
    let outcome = pipeline.answer(invocation).await;
    markers::end(
        &mut std::io::stdout().lock(),
        Framed::Invoke,
        context.request_id(),
        outcome.is_error(),
    );
    let mut reply = match &outcome {
        Outcome::Error(error) => failure(error, context.request_id()),
        Outcome::Response(response) if http => http_reply(response.clone()),
        Outcome::Response(response) => {
            // An event's result is its body alone (reference 2.5); a
            // streamed one is sent as it comes, under `x-fc-status: 200`
            // given up front (a failure midway cuts the reply short).
            let mut reply = if response.is_stream() {
                response_reply(response.clone())
            } else {
                response_reply(runtime_engine::Response::with_content_type(
                    response.body().clone(),
                    response.content_type(),
                ))
            };
            reply
                .headers_mut()
                .insert(X_FC_STATUS, HeaderValue::from_static("200"));
            reply
        }
    };
    fc.in_flight
        .after_response(&fc.lifecycle, context, outcome, work, &mut reply);
    hold_until_written(&mut reply, held);
    reply
}

/// Init first, then the body, then the context from `found`; returns the
/// context builder and the body.
async fn prepare(
    fc: &FcServer,
    body: Incoming,
    request_id: &str,
    found: &FcHeaders<'_>,
    http: bool,
) -> Result<(ContextBuilder, ReadBody), Unprepared> {
    let started = match fc.started.get() {
        Some(started) => started.clone(),
        // Boxed: it runs once, and `FunctionStart`'s future would otherwise
        // size every invocation's.
        None => Box::pin(ensure_started(fc)).await,
    };
    started.map_err(|message| {
        Unprepared::Refused(InvocationError::runtime(
            "Runtime.InitError",
            format!("the function could not start: {message}"),
        ))
    })?;
    let body = fc
        .bodies
        .read(body, fc.grace.reads_stop())
        .await
        .map_err(Unprepared::Unread)?;
    let builder = headers::context(
        &fc.lifecycle,
        &fc.function,
        fc.default_timeout,
        request_id.to_owned(),
        found,
    )
    .map_err(|BadRequest(message)| {
        Unprepared::Refused(InvocationError::runtime(
            "Runtime.MalformedInvocation",
            message,
        ))
    })?;
    let trigger = if http { Trigger::Http } else { Trigger::Other };
    Ok((builder.trigger(trigger), body))
}

/// The invocation: for events, the request's headers move into the
/// platform headers; for HTTP invocations the function sees the client's
/// request, without FC's own `x-fc-*` headers (which clients may not send,
/// reference 2.6), while the platform headers keep all of them.
fn finish(
    (builder, payload): (ContextBuilder, Bytes),
    mut parts: http::request::Parts,
    http: bool,
) -> Invocation {
    if !http {
        let context = builder
            .platform_headers(PlatformHeaders::from_map(parts.headers))
            .build();
        return Invocation::new(context, payload);
    }
    // Copying the client's headers out is cheaper than cloning the whole
    // map and then removing FC's by name (a hashed lookup each).
    let mut visible = HeaderMap::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        if !name.as_str().starts_with("x-fc-") {
            visible.append(name.clone(), value.clone());
        }
    }
    let all = std::mem::replace(&mut parts.headers, visible);
    let context = builder
        .platform_headers(PlatformHeaders::from_map(all))
        .build();
    Invocation::from_http(context, Request::from_parts(parts, payload))
}

/// The function's HTTP response, without the headers FC forbids in one
/// (`x-fc-*`, `connection`, `content-length`, `date`, `keep-alive`,
/// `server`: reference 2.6); the length is set by the server.
/// A `101 Switching Protocols` keeps its `connection: upgrade`, without
/// which the client does not take the switch (websockets).
fn http_reply(response: runtime_engine::Response) -> Reply {
    let mut reply = response_reply(response);
    let switching = reply.status() == StatusCode::SWITCHING_PROTOCOLS;
    strip(reply.headers_mut(), |name| {
        name.starts_with("x-fc-")
            || (name == "connection" && !switching)
            || matches!(name, "content-length" | "date" | "keep-alive" | "server")
    });
    reply
}

fn strip(headers: &mut HeaderMap, forbidden: impl Fn(&str) -> bool) {
    let names: Vec<_> = headers
        .keys()
        .filter(|n| forbidden(n.as_str()))
        .cloned()
        .collect();
    for name in names {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_invoke_wins_and_hook_headers_are_only_hints() {
        let post = Method::POST;
        let get = Method::GET;
        assert_eq!(
            classify(&get, "/pre-stop", Some("/http-invoke")),
            Some(FcRequest::Http)
        );
        assert_eq!(
            classify(&post, "/invoke", Some("/invoke")),
            Some(FcRequest::Event)
        );
        assert_eq!(classify(&post, "/invoke", None), Some(FcRequest::Event));
        assert_eq!(
            classify(&get, "/pre-freeze", None),
            Some(FcRequest::PreFreeze)
        );
        assert_eq!(
            classify(&get, "/other", Some("/pre-stop")),
            Some(FcRequest::PreStop)
        );
        assert_eq!(classify(&get, "/other", None), None);
    }

    #[test]
    fn a_switch_keeps_its_connection_header_and_other_answers_do_not() {
        let answer = |status: u16| {
            let response = http::Response::builder()
                .status(status)
                .header("connection", "upgrade")
                .header("upgrade", "websocket")
                .header("x-fc-status", "200")
                .body(Bytes::new())
                .unwrap();
            http_reply(runtime_engine::Response::from_http(response))
        };
        let switching = answer(101);
        assert_eq!(switching.headers()["connection"], "upgrade");
        assert_eq!(switching.headers()["upgrade"], "websocket");
        assert!(!switching.headers().contains_key("x-fc-status"));
        let ok = answer(200);
        assert!(!ok.headers().contains_key("connection"));
    }
}
