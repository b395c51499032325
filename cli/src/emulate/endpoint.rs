//! The invoke endpoint (`docs/design/invoke-endpoint.md`): the AWS Lambda
//! Invoke API's shape on 127.0.0.1, whatever the platform, plus
//! `/lambda-url/{name}/...` for HTTP-triggered invocations.

use std::convert::Infallible;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::function_url;
use super::outcome::{InvokeOptions, Outcome};
use super::session::Emulation;
use super::spec::EmulatedPlatform;

/// The Invoke API's path prefix and suffix around the function's name.
const INVOKE_PREFIX: &str = "/2015-03-31/functions/";
const INVOKE_SUFFIX: &str = "/invocations";
/// cargo-lambda's path for Function URL requests.
const URL_PREFIX: &str = "/lambda-url/";
/// The largest log tail returned for `X-Amz-Log-Type: Tail`.
const LOG_TAIL: usize = 4096;

type Reply = Response<Full<Bytes>>;

/// Serves `listener` until `stopped` turns true.
pub(crate) async fn serve(
    listener: TcpListener,
    emulation: Emulation,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stopped.wait_for(|stopped| *stopped) => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let emulation = emulation.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let emulation = emulation.clone();
                async move { Ok::<_, Infallible>(handle(&emulation, request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = stopped.wait_for(|stopped| *stopped) => {}
            }
        });
    }
}

async fn handle(emulation: &Emulation, request: Request<Incoming>) -> Reply {
    let path = request.uri().path().to_owned();
    if let Some(name) = path
        .strip_prefix(INVOKE_PREFIX)
        .and_then(|rest| rest.strip_suffix(INVOKE_SUFFIX))
    {
        if request.method() != Method::POST {
            return error_reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "InvalidRequestContentException",
                format!("{} {path}: invocations are POSTed", request.method()),
            );
        }
        let _ = name; // One function: any name reaches it.
        return invoke_event(emulation, request).await;
    }
    if let Some(rest) = path.strip_prefix(URL_PREFIX) {
        let sub_path = match rest.split_once('/') {
            Some((_, sub_path)) => format!("/{sub_path}"),
            None => "/".to_owned(),
        };
        return invoke_http(emulation, request, sub_path).await;
    }
    error_reply(
        StatusCode::NOT_FOUND,
        "ResourceNotFoundException",
        format!(
            "no such path `{path}`: POST {INVOKE_PREFIX}{{name}}{INVOKE_SUFFIX} for an event, \
             any method on {URL_PREFIX}{{name}}/... for an HTTP request"
        ),
    )
}

/// Reads the body, refusing more than the platform takes.
async fn read_body(emulation: &Emulation, body: Incoming) -> Result<Bytes, Reply> {
    let limit = emulation.spec().platform.max_event_bytes();
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(error_reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException",
            format!(
                "Request must be smaller than {limit} bytes for the InvokeFunction operation \
                 ({} emulated)",
                emulation.spec().platform
            ),
        )),
        Err(error) => Err(error_reply(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            format!("cannot read the request body: {error}"),
        )),
    }
}

/// The invocation's context from the Invoke API's request headers.
fn options_from(request: &Request<Incoming>) -> InvokeOptions {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    InvokeOptions {
        // Lambda takes the client context base64-encoded and hands it over decoded.
        client_context: header("x-amz-client-context").map(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .unwrap_or(encoded)
        }),
        trace_id: header("x-amzn-trace-id"),
        ..InvokeOptions::default()
    }
}

async fn invoke_event(emulation: &Emulation, request: Request<Incoming>) -> Reply {
    let options = options_from(&request);
    let tail = wants_tail(&request);
    let invocation_type = request
        .headers()
        .get("x-amz-invocation-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("RequestResponse")
        .to_owned();
    let body = match read_body(emulation, request.into_body()).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    match invocation_type.as_str() {
        "RequestResponse" => {
            let outcome = emulation.invoke(body, options).await;
            event_reply(&outcome, tail)
        }
        "Event" => {
            // Asynchronous: accepted now, run in the background (Lambda's
            // retries of failed asynchronous events are not emulated).
            let emulation = emulation.clone();
            let request_id = super::session::fresh_request_id();
            let options = options.request_id(request_id.clone());
            tokio::spawn(async move { emulation.invoke(body, options).await });
            let mut reply = Response::new(Full::new(Bytes::new()));
            *reply.status_mut() = StatusCode::ACCEPTED;
            set(&mut reply, "x-amz-request-id", &request_id);
            reply
        }
        "DryRun" => {
            let mut reply = Response::new(Full::new(Bytes::new()));
            *reply.status_mut() = StatusCode::NO_CONTENT;
            reply
        }
        other => error_reply(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            format!("X-Amz-Invocation-Type `{other}`: use RequestResponse, Event or DryRun"),
        ),
    }
}

async fn invoke_http(emulation: &Emulation, request: Request<Incoming>, sub_path: String) -> Reply {
    let tail = wants_tail(&request);
    let (parts, body) = request.into_parts();
    let body = match read_body(emulation, body).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let path_and_query = match parts.uri.query() {
        Some(query) => format!("{sub_path}?{query}"),
        None => sub_path,
    };
    match emulation.spec().platform {
        EmulatedPlatform::Aws => {
            let event = function_url::event(&parts, &path_and_query, &body);
            let request_id = super::session::fresh_request_id();
            let options = InvokeOptions::default().request_id(request_id);
            let outcome = emulation.invoke(event, options).await;
            if outcome.is_error() {
                return event_reply(&outcome, tail);
            }
            let mut reply = function_url::response(&outcome.body);
            add_invocation_headers(&mut reply, &outcome, tail);
            reply
        }
        EmulatedPlatform::Scf => error_reply(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            "an SCF event function takes events (API Gateway delivers them as events); POST an \
             event to /2015-03-31/functions/{name}/invocations, or emulate a web function with \
             --platform scf-web"
                .to_owned(),
        ),
        EmulatedPlatform::Fc | EmulatedPlatform::ScfWeb | EmulatedPlatform::Http => {
            let mut request = Request::new(body);
            *request.method_mut() = parts.method;
            *request.uri_mut() = path_and_query.parse().unwrap_or_default();
            for (name, value) in &parts.headers {
                if !is_hop_by_hop(name.as_str()) {
                    request.headers_mut().append(name.clone(), value.clone());
                }
            }
            let outcome = emulation
                .invoke_http(request, InvokeOptions::default())
                .await;
            let Some(http) = &outcome.http else {
                return event_reply(&outcome, tail);
            };
            let mut reply = Response::new(Full::new(outcome.body.clone()));
            *reply.status_mut() = StatusCode::from_u16(http.status).unwrap_or(StatusCode::OK);
            for (name, value) in &http.headers {
                if is_hop_by_hop(name) || name == "content-length" {
                    continue;
                }
                if let (Ok(name), Ok(value)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    reply.headers_mut().append(name, value);
                }
            }
            add_invocation_headers(&mut reply, &outcome, tail);
            reply
        }
    }
}

fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "connection" | "keep-alive" | "transfer-encoding" | "te" | "upgrade" | "host"
    )
}

fn wants_tail<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get("x-amz-log-type")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"tail"))
}

/// The Invoke API's answer: `200` with the body, `X-Amz-Function-Error` on
/// an error.
fn event_reply(outcome: &Outcome, tail: bool) -> Reply {
    let mut reply = Response::new(Full::new(outcome.body.clone()));
    reply.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if outcome.is_error() {
        set(&mut reply, "x-amz-function-error", "Unhandled");
    }
    add_invocation_headers(&mut reply, outcome, tail);
    reply
}

/// Request id, version, timings, breaches and the log tail.
fn add_invocation_headers(reply: &mut Reply, outcome: &Outcome, tail: bool) {
    set(reply, "x-amz-request-id", &outcome.request_id);
    set(reply, "x-amz-executed-version", "$LATEST");
    let timings = &outcome.timings;
    let mut server_timing = Vec::new();
    if let Some(init) = timings.init {
        server_timing.push(format!("init;dur={}", dur(init)));
    }
    server_timing.push(format!("invoke;dur={}", dur(timings.invoke)));
    server_timing.push(format!("total;dur={}", dur(timings.total)));
    set(reply, "server-timing", &server_timing.join(", "));
    for breach in &outcome.breaches {
        if let Ok(value) = HeaderValue::from_str(&breach.header_value()) {
            reply.headers_mut().append("x-light-runtime-breach", value);
        }
    }
    if tail {
        let logs = outcome.logs.join("\n");
        let mut start = logs.len().saturating_sub(LOG_TAIL);
        while !logs.is_char_boundary(start) {
            start += 1;
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(&logs[start..]);
        set(reply, "x-amz-log-result", &encoded);
    }
}

fn dur(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1000.0)
}

fn set(reply: &mut Reply, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        reply.headers_mut().insert(name, value);
    }
}

fn error_reply(status: StatusCode, error_type: &str, message: String) -> Reply {
    let body = serde_json::json!({"Type": "User", "errorType": error_type, "message": message});
    let mut reply = Response::new(Full::new(Bytes::from(body.to_string())));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    set(&mut reply, "x-amzn-errortype", error_type);
    reply
}
