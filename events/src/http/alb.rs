//! Application Load Balancer target groups ⇄ HTTP, with `aws_lambda_events`'
//! `AlbTargetGroupRequest` and `AlbTargetGroupResponse`, in either header
//! mode.

use aws_lambda_events::alb::{AlbTargetGroupRequest, AlbTargetGroupResponse};
use aws_lambda_events::encodings::Body;
use bytes::Bytes;
use http::header::HOST;

use super::context::{OriginalContext, Partial};
use super::uri;
use super::{assemble, body, Gateway, GatewayEventError};

/// The request: `httpMethod`, `path`; the query parameters, which ALB
/// passes still percent-encoded, decoded once (multi-value ones when the
/// target group has them); `multiValueHeaders` overridden by `headers`.
pub(crate) fn request(
    event: &[u8],
    gateway: Gateway,
) -> Result<http::Request<Bytes>, GatewayEventError> {
    let event: AlbTargetGroupRequest =
        serde_json::from_slice(event).map_err(|error| GatewayEventError::shape(gateway, error))?;
    let queries = if event.multi_value_query_string_parameters.is_empty() {
        &event.query_string_parameters
    } else {
        &event.multi_value_query_string_parameters
    };
    let decoded: Vec<(String, String)> = queries
        .iter()
        .map(|(key, value)| (decode(key), decode(value)))
        .collect();
    let query = uri::query_from_pairs(decoded.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut headers = event.multi_value_headers;
    headers.extend(event.headers);
    let host = headers.get(HOST).and_then(|value| value.to_str().ok());
    let uri = uri::build(&headers, host, event.path.as_deref().unwrap_or("/"), &query);
    let body = body::request_body(gateway, event.body, event.is_base64_encoded)?;
    let source_ip = headers
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
        .and_then(|chain| chain.split(',').next())
        .map(|ip| ip.trim().to_owned());
    let mut extension = Partial::new(gateway);
    // ALB has no request id of its own in the event; `X-Amzn-Trace-Id`
    // identifies the request across the load balancer's logs.
    extension.request_id = headers
        .get("x-amzn-trace-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    extension.source_ip = source_ip;
    let extension = extension.with_original(OriginalContext::Alb(Box::new(event.request_context)));
    assemble(gateway, event.http_method, &uri, headers, body, extension)
}

/// `%xx` and `+` decoded, as a form decoder reads a query value.
fn decode(value: &str) -> String {
    let plus_as_space = value.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}

/// The response: status, `statusDescription` (`404 Not Found`), the headers
/// in both `headers` and `multiValueHeaders` (ALB reads the one its target
/// group's mode names), the body as text or base64.
pub(crate) fn response(
    response: http::Response<Bytes>,
    gateway: Gateway,
) -> Result<Vec<u8>, GatewayEventError> {
    let (parts, bytes) = response.into_parts();
    let (text, is_base64_encoded) = body::response_body(&parts.headers, &bytes);
    let mut out = AlbTargetGroupResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.status_description = Some(format!(
        "{} {}",
        parts.status.as_u16(),
        parts.status.canonical_reason().unwrap_or_default()
    ));
    out.headers = parts.headers.clone();
    out.multi_value_headers = parts.headers;
    // Already base64 when binary: `Body::Text` writes the string as it is.
    out.body = Some(Body::Text(text));
    out.is_base64_encoded = is_base64_encoded;
    serde_json::to_vec(&out).map_err(|error| GatewayEventError::response(gateway, error))
}
