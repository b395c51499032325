//! What the app is told besides the client's request: the invocation's
//! context in headers (the names of the Lambda Runtime API's `next`, which
//! every Lambda developer knows, on every platform), where the request came
//! from (`x-forwarded-*`, as the Web Adapter and proxies add them), the
//! gateway's request context (`x-amzn-request-context`, as the Web Adapter
//! sends it, so an app moving over keeps reading its authorizer's claims),
//! and for a non-HTTP event, the path it is POSTed to.

use http::header::{HeaderMap, HeaderName, HeaderValue, HOST};
use http::uri::PathAndQuery;
use light_runtime::events::http::{OriginalContext, RequestContext};
use light_runtime::Context;

/// The invocation's request id.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("lambda-runtime-aws-request-id");
/// The deadline, in milliseconds since the Unix epoch.
pub(crate) const DEADLINE_MS: HeaderName = HeaderName::from_static("lambda-runtime-deadline-ms");
/// The function's ARN, where the platform gives one.
pub(crate) const FUNCTION_ARN: HeaderName =
    HeaderName::from_static("lambda-runtime-invoked-function-arn");
/// The platform's trace header (X-Ray on AWS).
pub(crate) const TRACE_ID: HeaderName = HeaderName::from_static("lambda-runtime-trace-id");
/// The W3C trace context, normalised from the platform's trace header.
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// The platform (`aws_lambda`, `aliyun_fc`, ...), as light-runtime names it.
pub(crate) const PLATFORM: HeaderName = HeaderName::from_static("x-light-runtime-platform");

/// The gateway's own request context, as JSON.
pub(crate) const GATEWAY_CONTEXT: HeaderName = HeaderName::from_static("x-amzn-request-context");

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Sets the context headers from `context`, replacing any the client sent
/// (a client must not pass itself off as the platform).
pub(crate) fn add_context(headers: &mut HeaderMap, context: &Context) {
    // Clients rarely send any: one pass over the names costs less than a
    // hashed removal of each.
    let ours = [
        &REQUEST_ID,
        &DEADLINE_MS,
        &FUNCTION_ARN,
        &TRACE_ID,
        &PLATFORM,
    ];
    if headers.keys().any(|name| ours.contains(&name)) {
        for name in ours {
            headers.remove(name);
        }
    }
    set(headers, REQUEST_ID, context.request_id());
    if let Some(deadline) = context.deadline() {
        headers.insert(DEADLINE_MS, HeaderValue::from(deadline.epoch_ms()));
    }
    if let Some(arn) = context.invoked_function_arn() {
        set(headers, FUNCTION_ARN, arn);
    }
    if let Some(trace) = context.trace_header() {
        set(headers, TRACE_ID, trace);
    }
    if !headers.contains_key(&TRACEPARENT) {
        if let Some(trace) = context.trace() {
            set(headers, TRACEPARENT, &trace.to_traceparent());
        }
    }
    set(headers, PLATFORM, &context.platform().to_string());
}

/// Sets `x-amzn-request-context` to the gateway's request context as it
/// sent it, in JSON; replaces any the client sent.
pub(crate) fn add_gateway_context(headers: &mut HeaderMap, gateway: &RequestContext) {
    headers.remove(&GATEWAY_CONTEXT);
    let json = match &gateway.original {
        OriginalContext::ApiGatewayRest(context) => serde_json::to_vec(context),
        OriginalContext::ApiGatewayHttp(context) => serde_json::to_vec(context),
        OriginalContext::Alb(context) => serde_json::to_vec(context),
        OriginalContext::FunctionUrl(context) => serde_json::to_vec(context),
        OriginalContext::FcHttpTrigger(context) => serde_json::to_vec(context),
        OriginalContext::ScfApiGateway(context) => serde_json::to_vec(context),
        // A gateway added later: its context is not sent until it is named here.
        _ => return,
    };
    // JSON escapes control characters, so only a failed encoding is left out.
    let value = json
        .ok()
        .and_then(|json| HeaderValue::from_maybe_shared(bytes::Bytes::from(json)).ok());
    if let Some(value) = value {
        headers.insert(GATEWAY_CONTEXT, value);
    }
}

/// Adds `x-forwarded-*` where the platform or gateway has not: the
/// client's address (`source_ip`, from a gateway's request context), the
/// scheme the client used (`https` behind a gateway, else `http`) and the
/// host it asked for.
pub(crate) fn add_forwarded(
    headers: &mut HeaderMap,
    source_ip: Option<&str>,
    behind_gateway: bool,
) {
    if let Some(ip) = source_ip {
        if !headers.contains_key(&X_FORWARDED_FOR) {
            set(headers, X_FORWARDED_FOR, ip);
        }
    }
    if !headers.contains_key(&X_FORWARDED_PROTO) {
        let scheme = if behind_gateway { "https" } else { "http" };
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(scheme));
    }
    if !headers.contains_key(&X_FORWARDED_HOST) {
        if let Some(host) = headers.get(HOST).cloned() {
            headers.insert(X_FORWARDED_HOST, host);
        }
    }
}

/// The path (and query) non-HTTP events are POSTed to: `events_path`,
/// which must start with `/`.
pub(crate) fn events_path(events_path: &str) -> Result<PathAndQuery, String> {
    let invalid = |why: String| {
        format!(
            "--events-path (LIGHT_RUNTIME_WEB_EVENTS_PATH) {events_path:?} is not a path: {why}"
        )
    };
    if !events_path.starts_with('/') {
        return Err(invalid("it must start with `/`".into()));
    }
    events_path
        .parse::<PathAndQuery>()
        .map_err(|error| invalid(error.to_string()))
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    // A value that is not a valid header (a control character) is left
    // out rather than failing the request.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_headers_keep_what_the_gateway_set() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("api.example.com"));
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
        add_forwarded(&mut headers, Some("203.0.113.9"), true);
        assert_eq!(headers[&X_FORWARDED_FOR], "203.0.113.9");
        assert_eq!(
            headers[&X_FORWARDED_PROTO], "http",
            "the gateway's own value"
        );
        assert_eq!(headers[&X_FORWARDED_HOST], "api.example.com");
        assert_eq!(events_path("/events").unwrap(), "/events");
        assert!(events_path("/a b")
            .unwrap_err()
            .contains("\"/a b\" is not a path"));
        assert!(events_path("events")
            .unwrap_err()
            .contains("start with `/`"));
    }
}
