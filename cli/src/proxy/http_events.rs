//! What the child gets for an HTTP invocation and what its answer becomes:
//! a pushed HTTP request goes to a Lambda function as the API Gateway HTTP
//! API (payload 2.0) event API Gateway would send, and the answer comes back
//! as API Gateway would read it (`light_runtime_events::http::to_event`).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use light_runtime_events::http::{http_api_answer, http_api_event, EventContext};
use runtime_engine::{Invocation, InvocationError, Platform, Response};

/// How HTTP invocations reach the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HttpEvents {
    /// As gateway events, except a JSON or CloudEvent body on plain HTTP
    /// and anything on the local server, which are events already.
    Auto,
    /// Every HTTP request as an API Gateway HTTP API (payload 2.0) event.
    Gateway,
    /// The request body as the event, the answer as the response body.
    Body,
}

/// What the child is given for `invocation`, and whether its answer is a
/// gateway response to read back as HTTP.
pub(crate) fn event_for(
    invocation: &Invocation,
    mode: HttpEvents,
) -> Result<(Bytes, bool), InvocationError> {
    let context = &invocation.context;
    let Some(request) = context.http_request() else {
        return Ok((invocation.payload.clone(), false));
    };
    let as_gateway = match mode {
        HttpEvents::Gateway => true,
        HttpEvents::Body => false,
        HttpEvents::Auto => match context.platform() {
            Platform::Local => false,
            Platform::Http => !is_event(&request.headers),
            _ => true,
        },
    };
    if !as_gateway {
        return Ok((invocation.payload.clone(), false));
    }
    let source_ip = context
        .platform_headers()
        .get("x-forwarded-for")
        .map(|list| list.split(',').next().unwrap_or(list).trim());
    let event_context = EventContext {
        request_id: context.request_id(),
        account_id: context.account_id(),
        time_epoch_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as i64),
        source_ip,
    };
    let event = http_api_event(request, &invocation.payload, &event_context)
        .map_err(|error| InvocationError::malformed_event(error.to_string()))?;
    Ok((Bytes::from(event), true))
}

/// The platform's response for the child's `answer`.
pub(crate) fn response_for(answer: Bytes, as_gateway: bool) -> Result<Response, InvocationError> {
    if !as_gateway {
        return Ok(Response::json(answer));
    }
    http_api_answer(&answer)
        .map(Response::from_http)
        .map_err(|error| {
            InvocationError::runtime(
                "Runtime.InvalidGatewayResponse",
                format!(
                    "the function's answer to an HTTP request is not a valid response: {error}"
                ),
            )
        })
}

/// Whether a plain-HTTP request carries an event rather than a request
/// for a web function: a JSON body or a CloudEvent, which the plain-HTTP
/// adapter already reads as the event.
fn is_event(headers: &http::HeaderMap) -> bool {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("application/cloudevents+json")
        || headers.contains_key("ce-id")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use runtime_engine::{Context, FunctionInfo};

    use super::*;

    fn invocation(platform: Platform, content_type: &str) -> Invocation {
        let function = Arc::new(FunctionInfo::new(platform, "f"));
        let request = http::Request::post("http://h.example/p?q=1")
            .header("content-type", content_type)
            .body(Bytes::from_static(b"{\"a\":1}"))
            .unwrap();
        Invocation::from_http(Context::builder(function, "r-1").build(), request)
    }

    #[test]
    fn which_requests_go_as_gateway_events() {
        let cases = [
            (
                Platform::AliyunFc,
                "application/json",
                HttpEvents::Auto,
                true,
            ),
            (Platform::Http, "text/plain", HttpEvents::Auto, true),
            (Platform::Http, "application/json", HttpEvents::Auto, false),
            (Platform::Local, "text/plain", HttpEvents::Auto, false),
            (Platform::Local, "text/plain", HttpEvents::Gateway, true),
            (Platform::AliyunFc, "text/plain", HttpEvents::Body, false),
        ];
        for (platform, content_type, mode, gateway) in cases {
            let (event, as_gateway) = event_for(&invocation(platform, content_type), mode).unwrap();
            assert_eq!(as_gateway, gateway, "{platform:?} {content_type} {mode:?}");
            if !gateway {
                assert_eq!(event.as_ref(), b"{\"a\":1}");
            } else {
                let json: serde_json::Value = serde_json::from_slice(&event).unwrap();
                assert_eq!(json["rawQueryString"], "q=1");
                assert_eq!(json["requestContext"]["requestId"], "r-1");
            }
        }
    }

    #[test]
    fn a_gateway_answer_becomes_the_http_response_and_a_bad_one_is_explained() {
        let response = response_for(
            Bytes::from_static(br#"{"statusCode":418,"body":"tea"}"#),
            true,
        )
        .unwrap();
        assert_eq!(response.status(), Some(http::StatusCode::IM_A_TEAPOT));
        assert_eq!(response.body().as_ref(), b"tea");
        let error = response_for(Bytes::from_static(br#"{"statusCode":1}"#), true).unwrap_err();
        assert_eq!(error.error_type(), "Runtime.InvalidGatewayResponse");
        let plain = response_for(Bytes::from_static(b"[1]"), false).unwrap();
        assert_eq!(plain.body().as_ref(), b"[1]");
    }
}
