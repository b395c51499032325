//! API Gateway HTTP APIs (payload 2.0) and Lambda function URLs ⇄ HTTP,
//! with `aws_lambda_events`' types. Both send the same request shape; a
//! function URL is answered in its own response shape (no
//! `multiValueHeaders`).

use std::borrow::Cow;
use std::collections::HashMap;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequestContext, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use bytes::Bytes;
use http::header::{COOKIE, HOST, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

use super::context::{OriginalContext, Partial};
use super::uri::{self, StageInPath};
use super::{assemble, body, json_headers, Gateway, GatewayEventError};

/// An HTTP API event: `aws_lambda_events`' `ApiGatewayV2httpRequest`
/// field for field, read with borrowed strings and headers straight into a
/// `HeaderMap` (see [`json_headers`]); the request context, which the
/// function sees, is `aws_lambda_events`' own type. `queryStringParameters`
/// is not read: `rawQueryString` keeps what it loses (repeated keys).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpApiRequest<'a> {
    #[serde(default, borrow)]
    raw_path: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    raw_query_string: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    cookies: Option<Vec<Cow<'a, str>>>,
    #[serde(default, deserialize_with = "json_headers::deserialize")]
    headers: HeaderMap,
    #[serde(default, deserialize_with = "null_as_empty")]
    path_parameters: HashMap<String, String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    stage_variables: HashMap<String, String>,
    request_context: ApiGatewayV2httpRequestContext,
    #[serde(default)]
    body: Option<String>,
    #[serde(default, deserialize_with = "null_as_false")]
    is_base64_encoded: bool,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<HashMap<String, String>, D::Error> {
    let map: Option<HashMap<String, String>> = serde::Deserialize::deserialize(deserializer)?;
    Ok(map.unwrap_or_default())
}

fn null_as_false<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let flag: Option<bool> = serde::Deserialize::deserialize(deserializer)?;
    Ok(flag.unwrap_or_default())
}

/// The request: `requestContext.http.method`; `rawPath` with the stage in
/// front (never `$default`); `rawQueryString` as sent, so repeated keys
/// stay repeated; `headers`, with the `cookies` array joined into one
/// `Cookie` header.
pub(crate) fn request(
    event: &[u8],
    stage: StageInPath,
) -> Result<http::Request<Bytes>, GatewayEventError> {
    let event: HttpApiRequest<'_> = serde_json::from_slice(event)
        .map_err(|error| GatewayEventError::shape(Gateway::ApiGatewayHttp, error))?;
    convert(event, stage)
}

/// `event` read as an HTTP API request in one pass, when it is one: the
/// common case of an HTTP function on API Gateway, spared
/// [`Gateway::detect`]'s look at the whole event first. `None` when it is
/// not an HTTP API event (a function URL's too), or has a fault the
/// detected path reports.
pub(crate) fn request_if_http_api(
    event: &[u8],
    stage: StageInPath,
) -> Option<http::Request<Bytes>> {
    let event: HttpApiRequest<'_> = serde_json::from_slice(event).ok()?;
    let function_url = event
        .request_context
        .domain_name
        .as_deref()
        .is_some_and(|domain| domain.contains(".lambda-url."));
    if function_url {
        return None;
    }
    convert(event, stage).ok()
}

fn convert(
    event: HttpApiRequest<'_>,
    stage: StageInPath,
) -> Result<http::Request<Bytes>, GatewayEventError> {
    const GATEWAY: Gateway = Gateway::ApiGatewayHttp;
    let context = event.request_context;
    let path = uri::with_stage(
        context.stage.as_deref(),
        event.raw_path.as_deref().unwrap_or("/"),
        stage,
    );
    let mut headers = event.headers;
    let uri = uri_and_cookies(
        GATEWAY,
        &mut headers,
        context.domain_name.as_deref(),
        &path,
        event.raw_query_string.as_deref(),
        event.cookies.as_deref(),
    )?;
    let body = body::request_body(GATEWAY, event.body, event.is_base64_encoded)?;

    let method = context.http.method.clone();
    let mut extension = Partial::new(GATEWAY);
    extension.request_id = context.request_id.clone();
    extension.source_ip = context.http.source_ip.clone();
    extension.stage = context.stage.clone();
    extension.path_parameters = event.path_parameters;
    extension.stage_variables = event.stage_variables;
    if let Some(authorizer) = &context.authorizer {
        extension.claims = match &authorizer.jwt {
            Some(jwt) => jwt
                .claims
                .iter()
                .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
                .collect(),
            // A Lambda authorizer's context is under `authorizer.lambda`.
            None => match authorizer.fields.get("lambda") {
                Some(serde_json::Value::Object(fields)) => fields.clone().into_iter().collect(),
                _ => authorizer.fields.clone(),
            },
        };
    }
    let extension = extension.with_original(OriginalContext::ApiGatewayHttp(Box::new(context)));
    assemble(GATEWAY, method, &uri, headers, body, extension)
}

/// A function URL's request: the same reading as an HTTP API's, from
/// `aws_lambda_events`' `LambdaFunctionUrlRequest` (no stage, no routes).
pub(crate) fn function_url_request(
    event: &[u8],
) -> Result<http::Request<Bytes>, GatewayEventError> {
    const GATEWAY: Gateway = Gateway::FunctionUrl;
    let event: LambdaFunctionUrlRequest =
        serde_json::from_slice(event).map_err(|error| GatewayEventError::shape(GATEWAY, error))?;
    let context = event.request_context;
    let mut headers = event.headers;
    let uri = uri_and_cookies(
        GATEWAY,
        &mut headers,
        context.domain_name.as_deref(),
        event.raw_path.as_deref().unwrap_or("/"),
        event.raw_query_string.as_deref(),
        event.cookies.as_deref(),
    )?;
    let body = body::request_body(GATEWAY, event.body, event.is_base64_encoded)?;
    let method =
        http::Method::from_bytes(context.http.method.as_deref().unwrap_or("GET").as_bytes())
            .map_err(|error| {
                GatewayEventError::field(GATEWAY, "requestContext.http.method", error)
            })?;
    let mut extension = Partial::new(GATEWAY);
    extension.request_id = context.request_id.clone();
    extension.source_ip = context.http.source_ip.clone();
    let extension = extension.with_original(OriginalContext::FunctionUrl(Box::new(context)));
    assemble(GATEWAY, method, &uri, headers, body, extension)
}

/// What payload 2.0 requests (HTTP APIs and function URLs) share: the URI,
/// its host from the `Host` header or else the domain name, and the
/// cookies joined into one `Cookie` header.
fn uri_and_cookies<S: AsRef<str>>(
    gateway: Gateway,
    headers: &mut HeaderMap,
    domain_name: Option<&str>,
    path: &str,
    query: Option<&str>,
    cookies: Option<&[S]>,
) -> Result<String, GatewayEventError> {
    let host = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .or(domain_name);
    let uri = uri::build(headers, host, path, query.unwrap_or(""));
    join_cookies(gateway, headers, cookies)?;
    Ok(uri)
}

/// Payload 2.0 sends cookies apart from the headers; the function sees
/// them as one `Cookie` header, as a browser sends them.
fn join_cookies<S: AsRef<str>>(
    gateway: Gateway,
    headers: &mut HeaderMap,
    cookies: Option<&[S]>,
) -> Result<(), GatewayEventError> {
    if let Some(cookies) = cookies.filter(|cookies| !cookies.is_empty()) {
        let cookies: Vec<&str> = cookies.iter().map(AsRef::as_ref).collect();
        let value = HeaderValue::from_str(&cookies.join("; "))
            .map_err(|error| GatewayEventError::field(gateway, "cookies", error))?;
        headers.insert(COOKIE, value);
    }
    Ok(())
}

/// `Set-Cookie` headers go in `cookies`, as payload 2.0 wants them.
fn split_cookies(headers: &mut HeaderMap) -> Vec<String> {
    let cookies = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap_or_default().to_owned())
        .collect();
    headers.remove(SET_COOKIE);
    cookies
}

/// The HTTP API response: status, `headers`, `cookies` from `Set-Cookie`,
/// the body as text or base64.
pub(crate) fn response(response: http::Response<Bytes>) -> Result<Vec<u8>, GatewayEventError> {
    let (mut parts, bytes) = response.into_parts();
    let (text, is_base64_encoded) = body::response_body(&parts.headers, &bytes);
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.cookies = split_cookies(&mut parts.headers);
    out.headers = parts.headers;
    out.multi_value_headers = HeaderMap::new();
    // Already base64 when binary: `Body::Text` writes the string as it is.
    out.body = Some(Body::Text(text));
    out.is_base64_encoded = is_base64_encoded;
    serde_json::to_vec(&out)
        .map_err(|error| GatewayEventError::response(Gateway::ApiGatewayHttp, error))
}

/// The function URL response: like the HTTP API's, in
/// `LambdaFunctionUrlResponse`'s shape.
pub(crate) fn function_url_response(
    response: http::Response<Bytes>,
) -> Result<Vec<u8>, GatewayEventError> {
    let (mut parts, bytes) = response.into_parts();
    let (text, is_base64_encoded) = body::response_body(&parts.headers, &bytes);
    let mut out = LambdaFunctionUrlResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.cookies = split_cookies(&mut parts.headers);
    out.headers = parts.headers;
    out.body = Some(text);
    out.is_base64_encoded = is_base64_encoded;
    serde_json::to_vec(&out)
        .map_err(|error| GatewayEventError::response(Gateway::FunctionUrl, error))
}
