//! The axum app the HTTP tests serve on every platform: path parameters,
//! JSON in and out, cookies both ways, and statuses other than 200.

#![allow(dead_code)] // each test binary uses its own part of it

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// The app, exactly as a user would hand it to `lambda_http::run` or
/// `light_runtime::run`.
pub(crate) fn app() -> Router {
    Router::new()
        .route("/orders/{id}", get(order))
        .route("/orders", post(create_order))
        .route("/beta/upload", axum::routing::post(upload))
        .fallback(echo)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

async fn order(Path(id): Path<u32>, headers: HeaderMap) -> Response {
    if id == 0 {
        return (
            StatusCode::NOT_FOUND,
            [("x-reason", "no such order")],
            "no such order",
        )
            .into_response();
    }
    (
        [("x-order", id.to_string())],
        Json(json!({ "id": id, "session": cookie(&headers, "session") })),
    )
        .into_response()
}

async fn create_order(Json(order): Json<Value>) -> impl IntoResponse {
    (
        StatusCode::CREATED,
        [("location", "/orders/7")],
        AppendHeaders([
            (SET_COOKIE, "session=s7; Path=/; HttpOnly"),
            (SET_COOKIE, "theme=light"),
        ]),
        Json(json!({ "id": 7, "order": order })),
    )
}

/// Binary in, binary out: the body back as `image/png`.
async fn upload(body: Bytes) -> impl IntoResponse {
    ([(CONTENT_TYPE, "image/png")], body)
}

/// What the function saw; query pairs sorted, since `lambda_http` orders
/// a REST API's or ALB's query keys by a hash map.
async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let mut query: Vec<(String, String)> = form_pairs(uri.query().unwrap_or(""));
    query.sort();
    (
        StatusCode::ACCEPTED,
        [("x-seen", "yes")],
        AppendHeaders([(SET_COOKIE, "a=1"), (SET_COOKIE, "b=2; Secure")]),
        Json(json!({
            "method": method.as_str(),
            "path": uri.path(),
            "query": query,
            "cookie": headers.get(COOKIE).and_then(|v| v.to_str().ok()),
            "body": String::from_utf8_lossy(&body),
        })),
    )
}

/// `a=1&b=x+y` as decoded pairs.
pub(crate) fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let text = text.replace('+', " ");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A fixture from the events crate's `tests/fixtures/`.
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../events/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}
