//! API Gateway REST APIs (payload 1.0) ⇄ HTTP, with `aws_lambda_events`'
//! `ApiGatewayProxyRequest` and `ApiGatewayProxyResponse`.

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use bytes::Bytes;
use http::HeaderMap;

use super::context::{OriginalContext, Partial};
use super::uri::{self, StageInPath};
use super::{assemble, body, Gateway, GatewayEventError};

const GATEWAY: Gateway = Gateway::ApiGatewayRest;

/// The request: `httpMethod`; the `path` with the stage in front (see
/// [`StageInPath`]); the multi-value query parameters, else the
/// single-value ones; `multiValueHeaders` overridden by `headers`.
pub(crate) fn request(
    event: &[u8],
    stage: StageInPath,
) -> Result<http::Request<Bytes>, GatewayEventError> {
    let event: ApiGatewayProxyRequest =
        serde_json::from_slice(event).map_err(|error| GatewayEventError::shape(GATEWAY, error))?;
    let context = event.request_context;
    let path = uri::with_stage(
        context.stage.as_deref(),
        event.path.as_deref().unwrap_or("/"),
        stage,
    );
    let queries = if event.multi_value_query_string_parameters.is_empty() {
        &event.query_string_parameters
    } else {
        &event.multi_value_query_string_parameters
    };
    let query = uri::query_from_pairs(queries.iter());
    let mut headers = event.multi_value_headers;
    headers.extend(event.headers);
    let host = headers
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .or(context.domain_name.as_deref());
    let uri = uri::build(&headers, host, &path, &query);
    let body = body::request_body(GATEWAY, event.body, event.is_base64_encoded)?;

    let method = event.http_method;
    let mut extension = Partial::new(GATEWAY);
    extension.request_id = context.request_id.clone();
    extension.source_ip = context.identity.source_ip.clone();
    extension.stage = context.stage.clone();
    extension.path_parameters = event.path_parameters;
    extension.stage_variables = event.stage_variables;
    // A Cognito user pool authorizer puts the token's claims under
    // `claims`; a Lambda authorizer's context is the fields themselves.
    extension.claims = match context.authorizer.fields.get("claims") {
        Some(serde_json::Value::Object(claims)) => claims.clone().into_iter().collect(),
        _ => context.authorizer.fields.clone(),
    };
    let extension = extension.with_original(OriginalContext::ApiGatewayRest(Box::new(context)));
    assemble(GATEWAY, method, &uri, headers, body, extension)
}

/// The response: status, every header in `multiValueHeaders`, the body as
/// text or base64.
pub(crate) fn response(response: http::Response<Bytes>) -> Result<Vec<u8>, GatewayEventError> {
    let (parts, bytes) = response.into_parts();
    let (text, is_base64_encoded) = body::response_body(&parts.headers, &bytes);
    let mut out = ApiGatewayProxyResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.headers = HeaderMap::new();
    out.multi_value_headers = parts.headers;
    // Already base64 when binary: `Body::Text` writes the string as it is.
    out.body = Some(Body::Text(text));
    out.is_base64_encoded = is_base64_encoded;
    serde_json::to_vec(&out).map_err(|error| GatewayEventError::response(GATEWAY, error))
}
