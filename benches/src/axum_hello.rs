//! The HTTP comparison's function: one axum app, built by both bootstraps
//! (`axum-hello` on light-runtime, `axum-hello-lambda-http` on AWS's
//! `lambda_http`), and the API Gateway v2 event the harness sends them.

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

/// `GET /hello/{name}` answers `hello, {name}` as text.
pub fn app() -> Router {
    Router::new().route("/hello/{name}", get(hello))
}

async fn hello(Path(name): Path<String>) -> String {
    format!("hello, {name}")
}

/// An HTTP API (payload 2.0) request for `GET /hello/ada?lang=en`, shaped
/// like the AWS documentation's sample: the headers a browser sends, a
/// cookie, the request context, and the keys in the order AWS writes them
/// (`version` first), as text, since a `serde_json::Value` would sort them.
pub const EVENT: &str = r#"{
  "version": "2.0",
  "routeKey": "GET /hello/{name}",
  "rawPath": "/hello/ada",
  "rawQueryString": "lang=en",
  "cookies": ["session=abc"],
  "headers": {
    "accept": "text/plain",
    "accept-encoding": "gzip, deflate, br",
    "host": "x9y8z7w6v5.execute-api.us-east-1.amazonaws.com",
    "user-agent": "Mozilla/5.0",
    "x-amzn-trace-id": "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e",
    "x-forwarded-for": "198.51.100.7",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https"
  },
  "queryStringParameters": { "lang": "en" },
  "requestContext": {
    "accountId": "123456789012",
    "apiId": "x9y8z7w6v5",
    "domainName": "x9y8z7w6v5.execute-api.us-east-1.amazonaws.com",
    "domainPrefix": "x9y8z7w6v5",
    "http": {
      "method": "GET",
      "path": "/hello/ada",
      "protocol": "HTTP/1.1",
      "sourceIp": "198.51.100.7",
      "userAgent": "Mozilla/5.0"
    },
    "requestId": "JKJaXmPLvHcESHA=",
    "routeKey": "GET /hello/{name}",
    "stage": "$default",
    "time": "10/Mar/2020:05:16:23 +0000",
    "timeEpoch": 1583817383220
  },
  "pathParameters": { "name": "ada" },
  "isBase64Encoded": false
}"#;

/// [`EVENT`] without the whitespace between its tokens, as AWS sends it.
pub fn event() -> String {
    let mut compact = String::with_capacity(EVENT.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in EVENT.chars() {
        if in_string {
            compact.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if !c.is_whitespace() {
            in_string = c == '"';
            compact.push(c);
        }
    }
    compact
}

/// The HTTP API response both bootstraps must answer [`EVENT`] with.
pub fn answer() -> Value {
    json!({
        "statusCode": 200,
        "headers": { "content-type": "text/plain; charset=utf-8", "content-length": "10" },
        "multiValueHeaders": {},
        "body": "hello, ada",
        "isBase64Encoded": false,
        "cookies": []
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_compact_event_is_the_same_json_without_whitespace() {
        let compact = super::event();
        assert!(compact.starts_with(r#"{"version":"2.0","routeKey":"GET /hello/{name}""#));
        let a: serde_json::Value = serde_json::from_str(&compact).unwrap();
        let b: serde_json::Value = serde_json::from_str(super::EVENT).unwrap();
        assert_eq!(a, b);
    }
}
