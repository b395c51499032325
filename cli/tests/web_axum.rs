//! An axum app behind web mode on AWS Lambda (the emulator): routes with
//! path parameters and JSON, reached by HTTP API events, and a queue event
//! at `/events`, answered by axum as it would answer any client.
//!
//! The app is this test binary itself, started again by web mode with
//! `LIGHT_RUNTIME_TEST_AXUM_APP` set, running only [`axum_app`]: a Rust
//! HTTP server that knows nothing of light-runtime, with no extra build.

mod web_support;

use std::ffi::OsString;

use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::{json, Value};
use web_support::{Start, WAIT};

/// Set in the app's environment: this process is the axum app.
const APP_VAR: &str = "LIGHT_RUNTIME_TEST_AXUM_APP";

async fn hello(Path(name): Path<String>, headers: HeaderMap) -> Json<Value> {
    let request_id = headers
        .get("lambda-runtime-aws-request-id")
        .and_then(|value| value.to_str().ok());
    Json(json!({ "hello": name, "request": request_id }))
}

async fn search(Query(query): Query<Vec<(String, String)>>) -> Json<Value> {
    Json(json!({ "query": query }))
}

async fn events(Json(event): Json<Value>) -> Json<Value> {
    let records = event["Records"].as_array().map_or(0, Vec::len);
    Json(json!({ "records": records }))
}

/// The axum app: runs only in the process web mode starts, listening on
/// `$PORT` until web mode stops it (or is gone).
#[test]
fn axum_app() {
    if std::env::var_os(APP_VAR).is_none() {
        return;
    }
    let port: u16 = std::env::var("PORT").unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let parent = nix::unistd::getppid();
        tokio::spawn(async move {
            // Tests stop by themselves: the app goes with web mode.
            while nix::unistd::getppid() == parent {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            std::process::exit(0);
        });
        let app = Router::new()
            .route("/hello/{name}", get(hello))
            .route("/search", get(search))
            .route("/events", post(events));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        axum::serve(listener, app).await.unwrap();
    });
}

fn get_event(path: &str, query: &str) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "api.example.com", "accept": "application/json"},
        "requestContext": {
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "198.51.100.7", "userAgent": "test"},
            "requestId": "gw-1",
            "routeKey": "$default",
            "stage": "$default"
        },
        "isBase64Encoded": false
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_axum_app_serves_gateway_and_queue_events() {
    if std::env::var_os(APP_VAR).is_some() {
        return;
    }
    let emulator = LambdaEmulator::start().await.unwrap();
    let app: Vec<OsString> = vec![
        std::env::current_exe().unwrap().into_os_string(),
        "--exact".into(),
        "axum_app".into(),
        "--nocapture".into(),
    ];
    let mut start = Start::python(vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), "axum".into()),
    ])
    .var(APP_VAR, "1");
    start.app = app;
    let web = start.spawn();

    let id = emulator.push(Event::json(get_event("/hello/ada", "")));
    let response = emulator
        .result(&id, WAIT)
        .await
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"hello": "ada", "request": id}));

    let id = emulator.push(Event::json(get_event("/search", "tag=red&tag=blue")));
    let response = emulator
        .result(&id, WAIT)
        .await
        .unwrap()
        .body_json()
        .unwrap();
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"query": [["tag", "red"], ["tag", "blue"]]}));

    let id = emulator.push(Event::json(get_event("/nowhere", "")));
    let response = emulator
        .result(&id, WAIT)
        .await
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(response["statusCode"], 404, "axum's own answer: {response}");

    let queue = json!({"Records": [{"body": "1"}, {"body": "2"}]});
    let id = emulator.push(Event::json(queue));
    let answer = emulator
        .result(&id, WAIT)
        .await
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(answer, json!({"records": 2}));

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}
