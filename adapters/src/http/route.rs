//! One plain-HTTP request: an invocation, a CloudEvent, or a health probe.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use http::{HeaderMap, Method, Request, StatusCode};
use hyper::body::Incoming;
use runtime_engine::{Deadline, Invocation, InvocationError, Outcome, TraceContext, Trigger};

use super::cloudevent::{self, CloudEvent};
use super::server::{HttpOptions, HttpServer};
use crate::pipeline::BoxPipeline;
use crate::push_server::reply::{
    error_reply, response_reply, status_error_reply, text_reply, Reply,
};
use crate::push_server::reply_body::hold_until_written;

/// The platform's request id from `options.request_id_header`, else the
/// next local one (`http-00000001`, `scf-web-00000001`).
fn request_id(headers: &HeaderMap, options: &HttpOptions, requests: &AtomicU64) -> String {
    match headers
        .get(options.request_id_header)
        .and_then(|v| v.to_str().ok())
    {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => {
            let n = requests.fetch_add(1, Ordering::Relaxed) + 1;
            format!("{}-{n:08}", options.id_prefix)
        }
    }
}

/// Answers one request.
pub(crate) async fn route(
    server: Arc<HttpServer>,
    mut pipeline: BoxPipeline,
    request: Request<Incoming>,
) -> Reply {
    if request.method() == Method::GET && matches!(request.uri().path(), "/_/health" | "/_/ready") {
        return text_reply(StatusCode::OK, "OK\n");
    }
    let (parts, body) = request.into_parts();
    let request_id = request_id(&parts.headers, &server.options, &server.requests);
    let (payload, held) = match server.bodies.read(body, server.grace.reads_stop()).await {
        Ok(body) => (body.bytes, body.held),
        Err(error) => {
            error.report(&request_id);
            return error_reply(error.status(), &error.to_invocation_error(), &request_id);
        }
    };
    // Work in flight from here: a request whose body had not arrived is not.
    let work = server.in_flight.start();
    let event = if !server.options.cloudevents {
        None
    } else if cloudevent::is_structured(&parts.headers) {
        Some(cloudevent::from_structured(&payload))
    } else if cloudevent::is_binary(&parts.headers) {
        Some(cloudevent::from_binary(&parts.headers).map(|event| (event, payload.clone())))
    } else {
        None
    };
    let (event, payload) = match event {
        None => (None, payload),
        Some(Ok((event, data))) => (Some(event), data),
        Some(Err(message)) => {
            let error = InvocationError::malformed_event(message);
            return error_reply(StatusCode::BAD_REQUEST, &error, &request_id);
        }
    };
    let request_id = event
        .as_ref()
        .map_or(request_id, |e: &CloudEvent| e.id.clone());
    let mut builder = server.lifecycle.context(request_id.as_str());
    builder = builder.trigger(if event.is_some() {
        Trigger::Pubsub
    } else {
        Trigger::Http
    });
    if let Some(timeout) = server.timeout {
        builder = builder.deadline(Deadline::after(timeout));
    }
    if let Some(header) = parts
        .headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
    {
        builder = builder.trace(header, TraceContext::from_traceparent(header));
    }
    let mut invocation =
        Invocation::from_http_request(builder, Request::from_parts(parts, payload));
    if let Some(event) = event {
        invocation.context.extensions_mut().insert(event);
    }
    let context = invocation.context.clone();
    let outcome = pipeline.answer(invocation).await;
    let mut reply = match &outcome {
        Outcome::Response(response) => response_reply(response.clone()),
        Outcome::Error(error) => status_error_reply(error, &request_id),
    };
    server
        .in_flight
        .after_response(&server.lifecycle, context, outcome, work, &mut reply);
    hold_until_written(&mut reply, held);
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push_server::fuzz_cases;

    /// The headers plain HTTP and SCF web functions read.
    const KNOWN: &[&str] = &[
        "x-request-id",
        "x-scf-request-id",
        "traceparent",
        "content-type",
        "ce-id",
        "ce-specversion",
    ];
    const TYPICAL: &[&str] = &[
        "req-1",
        "../../init/error",
        "a b\tc",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-0000000000000000-00",
        "application/cloudevents+json",
    ];

    #[test]
    fn fuzz_http_and_scf_web_headers() {
        let scf_web = HttpOptions {
            request_id_header: "x-scf-request-id",
            id_prefix: "scf-web",
            ..crate::http::PLAIN_HTTP
        };
        let requests = AtomicU64::new(0);
        fuzz_cases::run("http_and_scf_web_headers", |input| {
            let headers = fuzz_cases::headers(input, KNOWN, TYPICAL);
            for options in [&crate::http::PLAIN_HTTP, &scf_web] {
                let id = request_id(&headers, options, &requests);
                assert!(!id.is_empty());
                let sent = headers
                    .get(options.request_id_header)
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.is_empty());
                match sent {
                    Some(sent) => assert_eq!(id, sent),
                    None => assert!(id.starts_with(options.id_prefix), "{id}"),
                }
            }
            if let Some(header) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
                if let Some(trace) = runtime_engine::TraceContext::from_traceparent(header) {
                    let again = trace.to_traceparent();
                    assert!(runtime_engine::TraceContext::from_traceparent(&again).is_some());
                }
            }
        });
    }
}
