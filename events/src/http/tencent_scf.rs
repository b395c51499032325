//! Tencent Cloud API Gateway triggers invoking an SCF event function ⇄ HTTP.
//!
//! No crate keeps these shapes; they are written from SCF's documentation
//! ("API Gateway trigger", integration request and response) and Tencent's
//! own Go library (`tencentyun/scf-go-lib`, `events/apigw.go`), whose test
//! event shows `queryString` values as a string, a list (a repeated key) or
//! `true` (a key with no value). The fixture is
//! `tests/fixtures/scf_api_gateway.json`.

use std::collections::HashMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::context::{OriginalContext, Partial};
use super::single_value::{header_map, single_value_headers};
use super::uri;
use super::{assemble, body, Gateway, GatewayEventError};

const GATEWAY: Gateway = Gateway::ScfApiGateway;

/// SCF's API Gateway trigger event.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScfApiGatewayEvent {
    http_method: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    query_string: HashMap<String, QueryValue>,
    #[serde(default)]
    path_parameters: HashMap<String, String>,
    #[serde(default)]
    stage_variables: HashMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    /// Read when present, for an API that passes binary bodies base64-encoded;
    /// whether SCF's integration request sends it is unconfirmed (the
    /// documented samples have no such field, and are text).
    #[serde(default)]
    is_base64_encoded: bool,
    request_context: ScfRequestContext,
}

/// One `queryString` value: `"v"`, `["v1", "v2"]` for a repeated key, or
/// `true` for a key with no value (`?flag`; `false` is read as absent).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum QueryValue {
    One(String),
    Many(Vec<String>),
    Flag(bool),
}

/// SCF's `requestContext` for an API Gateway trigger.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ScfRequestContext {
    /// The API Gateway service (`service-xxxxxxxx`).
    #[serde(default)]
    pub service_id: Option<String>,
    /// The API rule's path (`/orders/{id}`).
    #[serde(default)]
    pub path: Option<String>,
    /// The API rule's method (`ANY` for a catch-all rule).
    #[serde(default)]
    pub http_method: Option<String>,
    /// API Gateway's id for the request.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The caller's key pair when the API uses key authentication.
    #[serde(default)]
    pub identity: HashMap<String, serde_json::Value>,
    /// The client's address.
    #[serde(default)]
    pub source_ip: Option<String>,
    /// `test`, `prepub` or `release`.
    #[serde(default)]
    pub stage: Option<String>,
}

/// SCF's integration response.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScfApiGatewayResponse {
    is_base64_encoded: bool,
    status_code: u16,
    headers: std::collections::BTreeMap<String, String>,
    body: String,
}

/// The request: `httpMethod`, `path` (the API path, no stage: the service's
/// domain does not carry it), `queryString` with repeated keys repeated,
/// the headers, the body.
pub(crate) fn request(event: &[u8]) -> Result<http::Request<Bytes>, GatewayEventError> {
    let event: ScfApiGatewayEvent =
        serde_json::from_slice(event).map_err(|error| GatewayEventError::shape(GATEWAY, error))?;
    let headers = header_map(GATEWAY, event.headers)?;
    let pairs = event.query_string.iter().flat_map(|(key, value)| {
        let values: Vec<&str> = match value {
            QueryValue::One(one) => vec![one.as_str()],
            QueryValue::Many(many) => many.iter().map(String::as_str).collect(),
            QueryValue::Flag(true) => vec![""],
            QueryValue::Flag(false) => Vec::new(),
        };
        values.into_iter().map(move |v| (key.as_str(), v))
    });
    let query = uri::query_from_pairs(pairs);
    let host = headers
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok());
    let uri = uri::build(&headers, host, event.path.as_deref().unwrap_or("/"), &query);
    let body = body::request_body(GATEWAY, event.body, event.is_base64_encoded)?;
    let method = http::Method::from_bytes(event.http_method.as_bytes())
        .map_err(|error| GatewayEventError::field(GATEWAY, "httpMethod", error))?;
    let context = event.request_context;
    let mut extension = Partial::new(GATEWAY);
    extension.request_id = context.request_id.clone();
    extension.source_ip = context.source_ip.clone();
    extension.stage = context.stage.clone();
    extension.path_parameters = event.path_parameters;
    extension.stage_variables = event.stage_variables;
    let extension = extension.with_original(OriginalContext::ScfApiGateway(Box::new(context)));
    assemble(GATEWAY, method, &uri, headers, body, extension)
}

/// The integration response: status, headers (repeated ones comma-joined),
/// the body as text or base64.
pub(crate) fn response(response: http::Response<Bytes>) -> Result<Vec<u8>, GatewayEventError> {
    let (parts, bytes) = response.into_parts();
    let (body, is_base64_encoded) = body::response_body(&parts.headers, &bytes);
    let out = ScfApiGatewayResponse {
        is_base64_encoded,
        status_code: parts.status.as_u16(),
        headers: single_value_headers(&parts.headers),
        body,
    };
    serde_json::to_vec(&out).map_err(|error| GatewayEventError::response(GATEWAY, error))
}
