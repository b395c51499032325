//! One plain-HTTP request: an invocation, a CloudEvent, or a health probe.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Method, Request, StatusCode};
use hyper::body::Incoming;
use runtime_engine::{
    BoxError, Deadline, Invocation, InvocationError, Lifecycle, Outcome, TraceContext, Trigger,
};
use tower::Service;

use super::cloudevent::{self, CloudEvent};
use super::Options;
use crate::push_server::exchange::{response_reply, text_reply};
use crate::push_server::{call_pipeline, error_reply, read_body, InFlight, Reply};

/// How long shutdown waits for in-flight requests without a configured timeout.
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// What every request shares.
pub(crate) struct Shared {
    pub(crate) lifecycle: Arc<Lifecycle>,
    pub(crate) in_flight: InFlight,
    pub(crate) counter: AtomicU64,
    pub(crate) timeout: Option<Duration>,
    pub(crate) options: Options,
}

/// Answers one request.
pub(crate) async fn route<S>(shared: Arc<Shared>, service: S, request: Request<Incoming>) -> Reply
where
    S: Service<Invocation, Response = Outcome> + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    if request.method() == Method::GET && matches!(request.uri().path(), "/_/health" | "/_/ready") {
        return text_reply(StatusCode::OK, "OK\n");
    }
    let work = shared.in_flight.start();
    let (parts, body) = request.into_parts();
    let request_id = match parts
        .headers
        .get(shared.options.request_id_header)
        .and_then(|v| v.to_str().ok())
    {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => {
            let n = shared.counter.fetch_add(1, Ordering::Relaxed) + 1;
            format!("{}-{n:08}", shared.options.id_prefix)
        }
    };
    let payload = match read_body(body, super::MAX_BODY).await {
        Ok(payload) => payload,
        Err(message) => {
            let error = InvocationError::runtime("Runtime.MalformedInvocation", message);
            return error_reply(StatusCode::PAYLOAD_TOO_LARGE, &error, &request_id);
        }
    };
    let event = if !shared.options.cloudevents {
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
    let mut builder = shared.lifecycle.context(request_id.as_str());
    builder = builder.trigger(if event.is_some() {
        Trigger::Pubsub
    } else {
        Trigger::Http
    });
    if let Some(timeout) = shared.timeout {
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
    let outcome = call_pipeline(service, invocation).await;
    let reply = match &outcome {
        Outcome::Response(response) => response_reply(response.clone()),
        Outcome::Error(error) => {
            let mut reply = error_reply(status_of(error), error, &request_id);
            if let Ok(value) = HeaderValue::from_str(error.error_type()) {
                reply
                    .headers_mut()
                    .insert("x-light-runtime-error-type", value);
            }
            reply
        }
    };
    shared
        .in_flight
        .after_response(&shared.lifecycle, context, outcome, work);
    reply
}

/// The status for an error outcome on platforms that use plain HTTP status:
/// `400` when the event could not be decoded, `500` otherwise.
fn status_of(error: &InvocationError) -> StatusCode {
    if error.kind() == runtime_engine::ErrorKind::MalformedEvent {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}
