//! HTTP requests to an emulated Lambda function: a Function URL event
//! (payload format 2.0) in, the function's answer turned back into the
//! HTTP response as Function URLs do (a `{"statusCode", "headers",
//! "cookies", "body", "isBase64Encoded"}` object, or any other JSON as a
//! `200 application/json` body).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::{json, Map, Value};

/// The Function URL event for a request with `parts`, `path_and_query`
/// (below `/lambda-url/{name}`) and `body`.
pub(crate) fn event(parts: &Parts, path_and_query: &str, body: &[u8]) -> Bytes {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(value.split(';').map(|c| Value::from(c.trim())));
            continue;
        }
        // Repeated headers are joined with commas, as Function URLs do.
        match headers.get_mut(name.as_str()) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), Value::from(value));
            }
        }
    }
    let mut parameters = Map::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match parameters.get_mut(key) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(value);
            }
            _ => {
                parameters.insert(key.to_owned(), Value::from(value));
            }
        }
    }
    let (body, encoded) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "emulated",
            "domainName": header("host"),
            "domainPrefix": "emulated",
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": header("user-agent"),
            },
            "requestId": super::session::fresh_request_id(),
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": now,
        },
        "isBase64Encoded": encoded,
    });
    if !cookies.is_empty() {
        event["cookies"] = Value::from(cookies);
    }
    if !parameters.is_empty() {
        event["queryStringParameters"] = Value::from(parameters);
    }
    if !body.is_empty() {
        event["body"] = Value::from(body);
    }
    Bytes::from(event.to_string())
}

/// The HTTP response for the function's `answer`.
pub(crate) fn response(answer: &[u8]) -> Response<Full<Bytes>> {
    let json: Option<Value> = serde_json::from_slice(answer).ok();
    let Some(shaped) = json.as_ref().filter(|v| v.get("statusCode").is_some()) else {
        let mut reply = Response::new(Full::new(Bytes::copy_from_slice(answer)));
        reply.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return reply;
    };
    let status = shaped["statusCode"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let body = match (&shaped["body"], shaped["isBase64Encoded"].as_bool()) {
        (Value::String(body), Some(true)) => base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default(),
        (Value::String(body), _) => body.clone().into_bytes(),
        (Value::Null, _) => Vec::new(),
        (other, _) => other.to_string().into_bytes(),
    };
    let mut reply = Response::new(Full::new(Bytes::from(body)));
    *reply.status_mut() = status;
    if let Some(headers) = shaped["headers"].as_object() {
        for (name, value) in headers {
            let value = match value {
                Value::String(value) => value.clone(),
                other => other.to_string(),
            };
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                reply.headers_mut().append(name, value);
            }
        }
    }
    for cookie in shaped["cookies"].as_array().into_iter().flatten() {
        if let Some(Ok(value)) = cookie.as_str().map(HeaderValue::from_str) {
            reply.headers_mut().append(http::header::SET_COOKIE, value);
        }
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_becomes_a_payload_2_event() {
        let request = http::Request::builder()
            .method("PUT")
            .uri("/x")
            .header("cookie", "a=1; b=2")
            .header("x-n", "1")
            .header("x-n", "2")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        let event: Value =
            serde_json::from_slice(&event(&parts, "/orders/7?q=1&q=2", b"hi")).unwrap();
        assert_eq!(event["rawPath"], "/orders/7");
        assert_eq!(event["rawQueryString"], "q=1&q=2");
        assert_eq!(event["queryStringParameters"]["q"], "1,2");
        assert_eq!(event["headers"]["x-n"], "1,2");
        assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(event["requestContext"]["http"]["method"], "PUT");
        assert_eq!(event["body"], "hi");
        assert_eq!(event["isBase64Encoded"], false);
    }

    #[test]
    fn a_shaped_answer_sets_status_headers_and_cookies_and_other_json_is_the_body() {
        let answer =
            json!({"statusCode": 201, "headers": {"x-a": "b"}, "cookies": ["c=1"], "body": "made"});
        let reply = response(answer.to_string().as_bytes());
        assert_eq!(reply.status(), 201);
        assert_eq!(reply.headers()["x-a"], "b");
        assert_eq!(reply.headers()["set-cookie"], "c=1");

        let reply = response(br#"{"plain":true}"#);
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.headers()["content-type"], "application/json");
    }
}
