//! FC's requests, routed by `x-fc-control-path`, method and path.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;
use runtime_engine::{
    BoxError, CancellationToken, Error, Invocation, InvocationError, Lifecycle, Outcome,
    PlatformHeaders, Trigger,
};
use tower::Service;

use super::headers::{self, BadRequest};
use super::lifecycle_hooks::{ensure_started, initialize, pre_freeze, pre_stop};
use super::markers::{self, Framed};
use crate::push_server::exchange::{response_reply, text_reply};
use crate::push_server::{call_pipeline, error_reply, read_body, InFlight, Reply};
use crate::request_facts::FunctionFacts;

/// How long `/pre-stop` and shutdown wait for in-flight work when no
/// timeout is configured.
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// What every request shares.
pub(crate) struct Fc {
    pub(crate) lifecycle: Arc<Lifecycle>,
    pub(crate) facts: FunctionFacts,
    pub(crate) in_flight: InFlight,
    /// `FunctionStart`'s result, once it ran; the error message if it failed.
    pub(crate) started: tokio::sync::OnceCell<Result<(), String>>,
    /// The init error `run` returns.
    pub(crate) init_error: Mutex<Option<Error>>,
    /// Stops the server: `/pre-stop`, a failed init, or shutdown.
    pub(crate) stop: CancellationToken,
    pub(crate) default_timeout: Option<Duration>,
}

/// The kinds of request FC sends.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
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
fn kind(method: &Method, path: &str, control_path: Option<&str>) -> Option<Kind> {
    if control_path == Some("/http-invoke") {
        return Some(Kind::Http);
    }
    match (method, path) {
        (&Method::POST, "/invoke") => return Some(Kind::Event),
        (&Method::POST, "/initialize") => return Some(Kind::Initialize),
        (_, "/pre-freeze") => return Some(Kind::PreFreeze),
        (_, "/pre-stop") => return Some(Kind::PreStop),
        _ => {}
    }
    match control_path? {
        "/invoke" => Some(Kind::Event),
        "/initialize" => Some(Kind::Initialize),
        "/pre-freeze" => Some(Kind::PreFreeze),
        "/pre-stop" => Some(Kind::PreStop),
        _ => None,
    }
}

/// Answers one request from FC.
pub(crate) async fn route<S>(fc: Arc<Fc>, service: S, request: Request<Incoming>) -> Reply
where
    S: Service<Invocation, Response = Outcome> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    let control_path = headers::get(request.headers(), "x-fc-control-path");
    match kind(request.method(), request.uri().path(), control_path) {
        Some(Kind::Event) => invoke(&fc, service, request, false).await,
        Some(Kind::Http) => invoke(&fc, service, request, true).await,
        Some(Kind::Initialize) => initialize(&fc, request.headers()).await,
        Some(Kind::PreFreeze) => pre_freeze(&fc, request.headers()).await,
        Some(Kind::PreStop) => pre_stop(&fc, request.headers()).await,
        None => text_reply(
            StatusCode::NOT_FOUND,
            format!(
                "not an FC request: {} {} with x-fc-control-path {:?}; FC sends POST /invoke, \
                 /http-invoke requests, POST /initialize, GET /pre-freeze and GET /pre-stop\n",
                request.method(),
                request.uri().path(),
                control_path.unwrap_or("(none)")
            ),
        ),
    }
}

/// A failure FC records: `404` with `x-fc-status: 404` (reference 2.8).
fn failure(error: &InvocationError, request_id: &str) -> Reply {
    let mut reply = error_reply(StatusCode::NOT_FOUND, error, request_id);
    reply
        .headers_mut()
        .insert("x-fc-status", HeaderValue::from_static("404"));
    reply
}

async fn invoke<S>(fc: &Arc<Fc>, service: S, request: Request<Incoming>, http: bool) -> Reply
where
    S: Service<Invocation, Response = Outcome> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    let work = fc.in_flight.start();
    let (parts, body) = request.into_parts();
    let request_id = match headers::request_id(&parts.headers) {
        Ok(id) => id.to_owned(),
        Err(BadRequest(message)) => {
            let error = InvocationError::runtime("Runtime.MalformedInvocation", message);
            return failure(&error, "");
        }
    };
    markers::start(&mut std::io::stdout().lock(), Framed::Invoke, &request_id);
    let invocation = match prepare(fc, parts, body, &request_id, http).await {
        Ok(invocation) => invocation,
        Err(error) => {
            markers::end(
                &mut std::io::stdout().lock(),
                Framed::Invoke,
                &request_id,
                true,
            );
            return failure(&error, &request_id);
        }
    };
    let context = invocation.context.clone();
    let outcome = call_pipeline(service, invocation).await;
    markers::end(
        &mut std::io::stdout().lock(),
        Framed::Invoke,
        &request_id,
        outcome.is_error(),
    );
    let reply = match &outcome {
        Outcome::Error(error) => failure(error, &request_id),
        Outcome::Response(response) if http => http_reply(response.clone()),
        Outcome::Response(response) => {
            let mut reply = response_reply(runtime_engine::Response::with_content_type(
                response.body().clone(),
                response.content_type(),
            ));
            reply
                .headers_mut()
                .insert("x-fc-status", HeaderValue::from_static("200"));
            reply
        }
    };
    fc.in_flight
        .after_response(&fc.lifecycle, context, outcome, work);
    reply
}

/// Builds the invocation: init first, then body and context.
async fn prepare(
    fc: &Fc,
    parts: http::request::Parts,
    body: Incoming,
    request_id: &str,
    http: bool,
) -> Result<Invocation, InvocationError> {
    ensure_started(fc).await.map_err(|message| {
        InvocationError::runtime(
            "Runtime.InitError",
            format!("the function could not start: {message}"),
        )
    })?;
    let payload = read_body(body, super::MAX_BODY)
        .await
        .map_err(|message| InvocationError::runtime("Runtime.MalformedInvocation", message))?;
    let builder = headers::context(
        &fc.lifecycle,
        &fc.facts,
        fc.default_timeout,
        request_id,
        &parts.headers,
    )
    .map_err(|BadRequest(message)| {
        InvocationError::runtime("Runtime.MalformedInvocation", message)
    })?;
    if !http {
        let context = builder
            .trigger(Trigger::Other)
            .platform_headers(PlatformHeaders::from_map(parts.headers))
            .build();
        return Ok(Invocation::new(context, payload));
    }
    let context = builder
        .trigger(Trigger::Http)
        .platform_headers(PlatformHeaders::from_map(parts.headers.clone()))
        .build();
    // The function sees the client's request: FC's own `x-fc-*` headers
    // (which clients may not send, reference 2.6) stay in platform_headers.
    let mut parts = parts;
    strip(&mut parts.headers, |name| name.starts_with("x-fc-"));
    Ok(Invocation::from_http(
        context,
        Request::from_parts(parts, payload),
    ))
}

/// The function's HTTP response, without the headers FC forbids in one
/// (`x-fc-*`, `connection`, `content-length`, `date`, `keep-alive`,
/// `server`: reference 2.6); the length is set by the server.
fn http_reply(response: runtime_engine::Response) -> Reply {
    let mut reply = response_reply(response);
    strip(reply.headers_mut(), |name| {
        name.starts_with("x-fc-")
            || matches!(
                name,
                "connection" | "content-length" | "date" | "keep-alive" | "server"
            )
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
            kind(&get, "/pre-stop", Some("/http-invoke")),
            Some(Kind::Http)
        );
        assert_eq!(kind(&post, "/invoke", Some("/invoke")), Some(Kind::Event));
        assert_eq!(kind(&post, "/invoke", None), Some(Kind::Event));
        assert_eq!(kind(&get, "/pre-freeze", None), Some(Kind::PreFreeze));
        assert_eq!(kind(&get, "/other", Some("/pre-stop")), Some(Kind::PreStop));
        assert_eq!(kind(&get, "/other", None), None);
    }
}
