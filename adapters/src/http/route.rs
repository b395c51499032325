//! One plain-HTTP request: an invocation, a CloudEvent, or a health probe.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use http::{Method, Request, StatusCode};
use hyper::body::Incoming;
use runtime_engine::{Deadline, Invocation, InvocationError, Outcome, TraceContext, Trigger};

use super::cloudevent::{self, CloudEvent};
use super::server::HttpServer;
use crate::pipeline::BoxPipeline;
use crate::push_server::reply::{
    error_reply, response_reply, status_error_reply, text_reply, Reply,
};
use crate::push_server::reply_body::hold_until_written;

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
    let request_id = match parts
        .headers
        .get(server.options.request_id_header)
        .and_then(|v| v.to_str().ok())
    {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => {
            let n = server.requests.fetch_add(1, Ordering::Relaxed) + 1;
            format!("{}-{n:08}", server.options.id_prefix)
        }
    };
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
        .after_response(&server.lifecycle, context, outcome, work);
    hold_until_written(&mut reply, held);
    reply
}
