//! Alibaba Cloud FC 3.0 HTTP triggers invoking an event function ⇄ HTTP.
//!
//! No crate keeps these shapes; they are written from FC's documentation,
//! "Use an HTTP trigger to invoke a function" (built-in runtimes, request
//! struct `version: "v1"`), and the fixture in
//! `tests/fixtures/fc_http_trigger.json` is that page's sample. The response
//! (`statusCode`, `headers`, `isBase64Encoded`, `body`) follows the same
//! page's description of how a function's result maps to the HTTP response;
//! its exact struct could not be checked against a sample (unconfirmed), nor
//! how FC sends several `Set-Cookie` headers (unconfirmed).

use std::collections::HashMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::context::{OriginalContext, Partial};
use super::single_value::{header_map, single_value_headers};
use super::uri;
use super::{assemble, body, Gateway, GatewayEventError};

const GATEWAY: Gateway = Gateway::FcHttpTrigger;

/// FC's HTTP-trigger event.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FcHttpTriggerEvent {
    /// The URL-encoded path (`requestContext.http.path` is the decoded one).
    raw_path: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
    /// One value per name; FC joins repeated headers with commas.
    #[serde(default)]
    headers: HashMap<String, String>,
    /// One value per name; FC joins a repeated key's values with commas.
    #[serde(default)]
    query_parameters: HashMap<String, String>,
    request_context: FcRequestContext,
}

/// FC's `requestContext` for an HTTP trigger.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FcRequestContext {
    /// The Alibaba Cloud account that owns the function.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The trigger's domain (`<trigger-id>.<region>.fcapp.run`).
    #[serde(default)]
    pub domain_name: Option<String>,
    /// The first label of the domain.
    #[serde(default)]
    pub domain_prefix: Option<String>,
    /// The HTTP request line and client.
    pub http: FcHttpDescription,
    /// FC's id for the request.
    #[serde(default)]
    pub request_id: Option<String>,
    /// When FC received the request (RFC 3339).
    #[serde(default)]
    pub time: Option<String>,
    /// The same, in milliseconds since the epoch (a string in FC's sample).
    #[serde(default)]
    pub time_epoch: Option<String>,
}

/// `requestContext.http` of an FC HTTP-trigger event.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FcHttpDescription {
    /// The request method.
    pub method: String,
    /// The decoded path.
    #[serde(default)]
    pub path: Option<String>,
    /// `HTTP/1.1` and the like.
    #[serde(default)]
    pub protocol: Option<String>,
    /// The client's address (FC masks its last octet in the sample).
    #[serde(default)]
    pub source_ip: Option<String>,
    /// The client's `User-Agent`.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// FC's response struct for an HTTP trigger.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FcHttpTriggerResponse {
    status_code: u16,
    headers: std::collections::BTreeMap<String, String>,
    is_base64_encoded: bool,
    body: String,
}

/// The request: `requestContext.http.method`, `rawPath`, the query
/// parameters (a repeated key arrives comma-joined and stays one value:
/// a comma inside a value cannot be told apart), the headers, the body.
pub(crate) fn request(event: &[u8]) -> Result<http::Request<Bytes>, GatewayEventError> {
    let event: FcHttpTriggerEvent =
        serde_json::from_slice(event).map_err(|error| GatewayEventError::shape(GATEWAY, error))?;
    let headers = header_map(GATEWAY, event.headers)?;
    let query = uri::query_from_pairs(
        event
            .query_parameters
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let context = event.request_context;
    let host = headers
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .or(context.domain_name.as_deref());
    let uri = uri::build(&headers, host, &event.raw_path, &query);
    let body = body::request_body(GATEWAY, event.body, event.is_base64_encoded)?;
    let method = http::Method::from_bytes(context.http.method.as_bytes())
        .map_err(|error| GatewayEventError::field(GATEWAY, "requestContext.http.method", error))?;
    let mut extension = Partial::new(GATEWAY);
    extension.request_id = context.request_id.clone();
    extension.source_ip = context.http.source_ip.clone();
    let extension = extension.with_original(OriginalContext::FcHttpTrigger(Box::new(context)));
    assemble(GATEWAY, method, &uri, headers, body, extension)
}

/// The response: status, headers (repeated ones comma-joined, see
/// [`single_value_headers`]), the body as text or base64.
pub(crate) fn response(response: http::Response<Bytes>) -> Result<Vec<u8>, GatewayEventError> {
    let (parts, bytes) = response.into_parts();
    let (body, is_base64_encoded) = body::response_body(&parts.headers, &bytes);
    let out = FcHttpTriggerResponse {
        status_code: parts.status.as_u16(),
        headers: single_value_headers(&parts.headers),
        is_base64_encoded,
        body,
    };
    serde_json::to_vec(&out).map_err(|error| GatewayEventError::response(GATEWAY, error))
}
