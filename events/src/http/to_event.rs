//! The other direction: an HTTP request written *as* an API Gateway HTTP
//! API (payload 2.0) event, and a function's answer to such an event read
//! back as the HTTP response, as API Gateway reads it.
//!
//! This is what a Lambda function written for API Gateway (`lambda_http`,
//! Powertools, a plain handler returning `{statusCode, body}`) needs when
//! the request reached us as plain HTTP: FC's HTTP trigger, SCF web
//! functions, Knative.

use std::collections::HashMap;

use aws_lambda_events::apigw::{
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use aws_lambda_events::query_map::QueryMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, COOKIE, HOST, SET_COOKIE, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

use super::{body, Gateway, GatewayEventError};

const GATEWAY: Gateway = Gateway::ApiGatewayHttp;

/// Fields `aws_lambda_events` keeps for Custom Authorizer v1 payloads,
/// which an HTTP API never sends; left out so the event is the one API
/// Gateway would send.
const NOT_IN_HTTP_API_EVENTS: [&str; 6] = [
    "type",
    "methodArn",
    "httpMethod",
    "identitySource",
    "authorizationToken",
    "resource",
];

/// What of the invocation, besides the request, goes into the event's
/// `requestContext`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventContext<'a> {
    /// The invocation's request id (`requestContext.requestId`).
    pub request_id: &'a str,
    /// The account the function runs in (`requestContext.accountId`).
    pub account_id: Option<&'a str>,
    /// When the request arrived, in Unix epoch milliseconds
    /// (`requestContext.timeEpoch`).
    pub time_epoch_ms: i64,
    /// The client's address (`requestContext.http.sourceIp`).
    pub source_ip: Option<&'a str>,
}

/// `request` (its head and `body`) as the API Gateway HTTP API event
/// (payload 2.0) a `$default` route would send: `rawPath` and
/// `rawQueryString` as sent, `queryStringParameters` with repeated keys
/// joined by commas, the `Cookie` header as the `cookies` array, other
/// headers with repeated values joined by commas, and the body as text or,
/// for a binary `Content-Type`, base64.
///
/// Fails only when a header value is not text, naming the header.
///
/// ```
/// use light_runtime_events::http::{http_api_event, EventContext, Gateway, StageInPath};
///
/// let request = http::Request::post("http://fc.example.com/orders?id=7")
///     .header("content-type", "application/json")
///     .body(())
///     .unwrap();
/// let (parts, ()) = request.into_parts();
/// let context = EventContext { request_id: "r-1", ..EventContext::default() };
/// let event = http_api_event(&parts, br#"{"n":1}"#, &context).unwrap();
/// // Read back as the gateway's request, it is the request we started with.
/// let back = Gateway::ApiGatewayHttp.request(&event, StageInPath::Keep).unwrap();
/// assert_eq!(back.uri().path_and_query().unwrap(), "/orders?id=7");
/// assert_eq!(back.body().as_ref(), br#"{"n":1}"#);
/// ```
pub fn http_api_event(
    request: &http::request::Parts,
    body: &[u8],
    context: &EventContext<'_>,
) -> Result<Vec<u8>, GatewayEventError> {
    let mut headers = joined_headers(&request.headers)?;
    let cookies = headers.remove(COOKIE).map(|cookie| {
        cookie
            .to_str()
            .unwrap_or_default()
            .split(';')
            .map(|one| one.trim().to_owned())
            .filter(|one| !one.is_empty())
            .collect::<Vec<_>>()
    });
    if !headers.contains_key(HOST) {
        if let Some(host) = request.uri.authority() {
            let host = HeaderValue::from_str(host.as_str())
                .map_err(|error| GatewayEventError::field(GATEWAY, "host", error))?;
            headers.insert(HOST, host);
        }
    }
    let domain_name = headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .map(str::to_owned);
    let path = request.uri.path().to_owned();
    let query = request.uri.query().unwrap_or("").to_owned();

    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = request.method.clone();
    http.path = Some(path.clone());
    http.protocol = Some(format!("{:?}", request.version));
    http.source_ip = context.source_ip.map(str::to_owned);
    http.user_agent = headers
        .get(USER_AGENT)
        .and_then(|agent| agent.to_str().ok())
        .map(str::to_owned);

    let mut request_context = ApiGatewayV2httpRequestContext::default();
    request_context.route_key = Some("$default".into());
    request_context.stage = Some("$default".into());
    request_context.account_id = context.account_id.map(str::to_owned);
    request_context.request_id = Some(context.request_id.to_owned());
    request_context.domain_prefix = domain_name
        .as_deref()
        .map(|domain| domain.split('.').next().unwrap_or(domain).to_owned());
    request_context.domain_name = domain_name;
    request_context.time_epoch = context.time_epoch_ms;
    request_context.http = http;

    let (text, is_base64_encoded) = body::response_body(&headers, body);
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some("$default".into());
    event.raw_path = Some(path);
    event.query_string_parameters = query_parameters(&query);
    event.raw_query_string = Some(query);
    event.cookies = cookies;
    event.headers = headers;
    event.request_context = request_context;
    event.body = (!body.is_empty()).then_some(text);
    event.is_base64_encoded = is_base64_encoded && !body.is_empty();

    let mut json = serde_json::to_value(&event)
        .map_err(|error| GatewayEventError::response(GATEWAY, error))?;
    if let Value::Object(fields) = &mut json {
        for field in NOT_IN_HTTP_API_EVENTS {
            fields.remove(field);
        }
    }
    serde_json::to_vec(&json).map_err(|error| GatewayEventError::response(GATEWAY, error))
}

/// The answer a function gave to an HTTP API event, as the HTTP response
/// API Gateway makes of it: a JSON object with `statusCode` is a response
/// object (`headers`, `multiValueHeaders`, `cookies` as `Set-Cookie`,
/// `body` decoded from base64 when `isBase64Encoded`); anything else is
/// the body of a `200` with `Content-Type: application/json`.
///
/// Fails when a response object's `statusCode` is not an HTTP status, a
/// header is not valid HTTP or its body is not the base64 it claims to be;
/// the error names the field.
///
/// ```
/// use light_runtime_events::http::http_api_answer;
///
/// let response = http_api_answer(br#"{"statusCode":201,"headers":{"x-id":"7"},"body":"made"}"#).unwrap();
/// assert_eq!(response.status(), 201);
/// assert_eq!(response.headers()["x-id"], "7");
/// assert_eq!(response.body().as_ref(), b"made");
///
/// let plain = http_api_answer(br#"{"ok":true}"#).unwrap();
/// assert_eq!(plain.status(), 200);
/// assert_eq!(plain.headers()["content-type"], "application/json");
/// ```
pub fn http_api_answer(answer: &[u8]) -> Result<http::Response<Bytes>, GatewayEventError> {
    let object = match serde_json::from_slice::<Value>(answer) {
        Ok(Value::Object(object)) if object.contains_key("statusCode") => object,
        _ => {
            let mut response = http::Response::new(Bytes::copy_from_slice(answer));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            return Ok(response);
        }
    };
    let status = object["statusCode"]
        .as_u64()
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| {
            GatewayEventError::field(
                GATEWAY,
                "statusCode",
                format!("{} is not an HTTP status", object["statusCode"]),
            )
        })?;
    let mut headers = HeaderMap::new();
    if let Some(Value::Object(single)) = object.get("headers") {
        for (name, value) in single {
            append(&mut headers, "headers", name, value)?;
        }
    }
    if let Some(Value::Object(multi)) = object.get("multiValueHeaders") {
        for (name, values) in multi {
            for value in values.as_array().into_iter().flatten() {
                append(&mut headers, "multiValueHeaders", name, value)?;
            }
        }
    }
    for cookie in object
        .get("cookies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        append(&mut headers, "cookies", SET_COOKIE.as_str(), cookie)?;
    }
    let text = match object.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    let base64 = object
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let body = if base64 {
        STANDARD
            .decode(text.as_bytes())
            .map(Bytes::from)
            .map_err(|error| GatewayEventError::base64(GATEWAY, error))?
    } else {
        Bytes::from(text)
    };
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// One value per header name, repeated values joined by commas as API
/// Gateway joins them.
fn joined_headers(headers: &HeaderMap) -> Result<HeaderMap, GatewayEventError> {
    let mut joined = HeaderMap::with_capacity(headers.keys_len());
    for name in headers.keys() {
        let mut values = headers.get_all(name).iter();
        let first = values
            .next()
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static(""));
        let mut value = first;
        for more in values {
            let text = format!("{},{}", text_of(name, &value)?, text_of(name, more)?);
            value = HeaderValue::from_str(&text)
                .map_err(|error| GatewayEventError::field(GATEWAY, "headers", error))?;
        }
        text_of(name, &value)?;
        joined.insert(name.clone(), value);
    }
    Ok(joined)
}

fn text_of<'a>(name: &HeaderName, value: &'a HeaderValue) -> Result<&'a str, GatewayEventError> {
    value.to_str().map_err(|_| {
        GatewayEventError::field(
            GATEWAY,
            "headers",
            format!("the value of `{name}` is not text"),
        )
    })
}

/// `queryStringParameters`: each key's values in order (the serialiser
/// joins them by commas, as API Gateway does).
fn query_parameters(query: &str) -> QueryMap {
    let mut parameters: HashMap<String, Vec<String>> = HashMap::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        parameters
            .entry(key.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    QueryMap::from(parameters)
}

/// Adds `name: value` from the response object's `field`.
fn append(
    headers: &mut HeaderMap,
    field: &'static str,
    name: &str,
    value: &Value,
) -> Result<(), GatewayEventError> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Null => return Ok(()),
        other => other.to_string(),
    };
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|error| GatewayEventError::field(GATEWAY, field, format!("`{name}`: {error}")))?;
    let value = HeaderValue::from_str(&text).map_err(|error| {
        GatewayEventError::field(GATEWAY, field, format!("the value of `{name}`: {error}"))
    })?;
    headers.append(name, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{request_from_event, StageInPath};

    fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn context() -> EventContext<'static> {
        EventContext {
            request_id: "req-7",
            account_id: Some("123456789012"),
            time_epoch_ms: 1_700_000_000_000,
            source_ip: Some("203.0.113.9"),
        }
    }

    #[test]
    fn a_request_round_trips_through_the_event_and_the_existing_reading() {
        let parts = request(
            "PUT",
            "/orders/7?tag=a&tag=b&x=1",
            &[
                ("host", "fc.example.com"),
                ("cookie", "s=1; t=2"),
                ("x-many", "one"),
                ("x-many", "two"),
                ("content-type", "text/plain"),
            ],
        );
        let event = http_api_event(&parts, b"hello", &context()).unwrap();
        let json: Value = serde_json::from_slice(&event).unwrap();
        assert_eq!(json["version"], "2.0");
        assert_eq!(json["rawQueryString"], "tag=a&tag=b&x=1");
        assert_eq!(json["queryStringParameters"]["tag"], "a,b");
        assert_eq!(json["cookies"], serde_json::json!(["s=1", "t=2"]));
        assert_eq!(json["headers"]["x-many"], "one,two");
        assert_eq!(json["requestContext"]["requestId"], "req-7");
        assert_eq!(json["requestContext"]["http"]["method"], "PUT");
        assert_eq!(json["requestContext"]["http"]["sourceIp"], "203.0.113.9");
        assert!(json.get("httpMethod").is_none(), "{json}");

        let (gateway, back) = request_from_event(&event, StageInPath::Keep).unwrap();
        assert_eq!(gateway, Gateway::ApiGatewayHttp);
        let back = back.unwrap();
        assert_eq!(back.method(), "PUT");
        assert_eq!(
            back.uri().to_string(),
            "https://fc.example.com/orders/7?tag=a&tag=b&x=1"
        );
        assert_eq!(back.headers()["cookie"], "s=1; t=2");
        assert_eq!(back.body().as_ref(), b"hello");
    }

    #[test]
    fn a_binary_body_goes_base64_and_comes_back_whole() {
        let parts = request(
            "POST",
            "http://h.example/p",
            &[("content-type", "image/png")],
        );
        let bytes = [0u8, 159, 146, 150, 255];
        let event = http_api_event(&parts, &bytes, &context()).unwrap();
        let json: Value = serde_json::from_slice(&event).unwrap();
        assert_eq!(json["isBase64Encoded"], true);
        let back = Gateway::ApiGatewayHttp
            .request(&event, StageInPath::Keep)
            .unwrap();
        assert_eq!(back.body().as_ref(), bytes);
    }

    #[test]
    fn an_answer_round_trips_through_the_existing_response_writer() {
        let response = http::Response::builder()
            .status(404)
            .header("content-type", "application/octet-stream")
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .header("x-why", "gone")
            .body(Bytes::from_static(&[1, 2, 255]))
            .unwrap();
        let json = Gateway::ApiGatewayHttp.response(response).unwrap();
        let back = http_api_answer(&json).unwrap();
        assert_eq!(back.status(), 404);
        assert_eq!(back.headers()["x-why"], "gone");
        let cookies: Vec<_> = back.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(back.body().as_ref(), [1, 2, 255]);
    }

    #[test]
    fn other_answers_are_a_json_200_and_bad_response_objects_are_named() {
        for answer in [
            &b"\"text\""[..],
            b"[1,2]",
            b"{\"no\":\"status\"}",
            b"not json",
        ] {
            let response = http_api_answer(answer).unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["content-type"], "application/json");
            assert_eq!(response.body().as_ref(), answer);
        }
        let error = http_api_answer(br#"{"statusCode":"teapot"}"#).unwrap_err();
        assert!(error.to_string().contains("`statusCode`"), "{error}");
        let error =
            http_api_answer(br#"{"statusCode":200,"headers":{"bad name":"x"}}"#).unwrap_err();
        assert!(error.to_string().contains("bad name"), "{error}");
        let error = http_api_answer(br#"{"statusCode":200,"body":"%%","isBase64Encoded":true}"#)
            .unwrap_err();
        assert!(error.to_string().contains("base64"), "{error}");
    }
}
