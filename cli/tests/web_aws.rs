//! Web mode on AWS Lambda (the emulator): a Python standard-library app
//! behind `light-runtime web`, reached by API Gateway REST (v1) and HTTP
//! API (v2), ALB (multi-value) and function URL events, answered in each
//! event's own shape; a queue event POSTed to `/events` with the context
//! in headers; and the logging layer seeing each request as an invocation.

#[path = "../../light-runtime/tests/support/mod.rs"]
mod support;
mod web_support;

use base64::Engine;
use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use serde_json::{json, Value};
use web_support::{Start, WAIT};

const XRAY: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../events/tests/fixtures/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn aws_env(emulator: &LambdaEmulator) -> Vec<(String, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), "orders".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "256".into()),
        ("AWS_REGION".into(), "eu-west-1".into()),
    ]
}

/// The gateway response the runtime posted for `event`.
async fn invoke(emulator: &LambdaEmulator, event: Event) -> (String, Value) {
    let id = emulator.push(event);
    let result = emulator.result(&id, WAIT).await.expect("answered in time");
    let body = match &result {
        InvocationResult::Response { .. } => result.body_json().expect("JSON response"),
        other => panic!("{id} failed: {other:?}"),
    };
    assert_eq!(emulator.answers_for(&id), 1, "exactly one answer");
    (id, body)
}

/// The app's echo, from a gateway response's body.
fn echoed(response: &Value) -> Value {
    let body = response["body"].as_str().expect("a body");
    let body = if response["isBase64Encoded"] == json!(true) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    } else {
        body.to_owned()
    };
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("the app's echo: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_events_reach_the_app_and_come_back_in_their_own_shape() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let web = Start::python(aws_env(&emulator))
        .option("--readiness")
        .option("/health")
        .spawn();

    // API Gateway REST (v1): repeated query keys, cookies, a JSON body.
    let mut rest = fixture("apigw_rest");
    rest["path"] = json!("/echo/orders/42");
    let rest_context = rest["requestContext"].clone();
    let (id, response) = invoke(&emulator, Event::json(rest).trace_id(XRAY)).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    let echo = echoed(&response);
    assert_eq!(echo["method"], "POST");
    assert!(
        echo["path"].as_str().unwrap().ends_with("/echo/orders/42"),
        "{echo}"
    );
    assert_eq!(echo["query"]["tag"], json!(["red", "blue"]));
    assert_eq!(echo["query"]["q"], json!(["rust lang"]));
    assert_eq!(echo["cookies"], json!(["session=abc", "theme=dark"]));
    assert_eq!(echo["body"], r#"{"items":[1,2]}"#);
    let headers = &echo["headers"];
    assert_eq!(headers["x-forwarded-for"], json!(["198.51.100.7"]));
    assert_eq!(headers["x-forwarded-proto"], json!(["https"]));
    assert_eq!(headers["lambda-runtime-aws-request-id"], json!([id]));
    assert_eq!(headers["lambda-runtime-trace-id"], json!([XRAY]));
    assert!(headers["lambda-runtime-deadline-ms"][0].as_str().is_some());
    let gateway: Value =
        serde_json::from_str(headers["x-amzn-request-context"][0].as_str().unwrap()).unwrap();
    assert_eq!(gateway["requestId"], rest_context["requestId"], "{gateway}");
    assert_eq!(gateway["stage"], rest_context["stage"], "{gateway}");
    assert_eq!(
        headers["x-light-runtime-platform"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(response["multiValueHeaders"].is_object() || response["headers"].is_object());

    // HTTP API (v2): raw query string, cookies, a base64 body.
    let mut http_api = fixture("apigw_http");
    http_api["rawPath"] = json!("/echo/orders/42");
    http_api["requestContext"]["http"]["method"] = json!("POST");
    http_api["requestContext"]["http"]["path"] = json!("/echo/orders/42");
    http_api["headers"]["content-type"] = json!("application/octet-stream");
    http_api["body"] = json!("AAEC/w==");
    http_api["isBase64Encoded"] = json!(true);
    let (_, response) = invoke(&emulator, Event::json(http_api.clone())).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    let echo = echoed(&response);
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/echo/orders/42");
    assert_eq!(echo["rawQuery"], "tag=red&tag=blue&q=rust%20lang");
    assert_eq!(echo["cookies"], json!(["session=abc", "theme=dark"]));
    assert_eq!(
        echo["bodyBase64"], "AAEC/w==",
        "the decoded bytes reach the app"
    );

    // The app's cookies, status and binary body, as v2 answers them.
    http_api["rawPath"] = json!("/cookies");
    http_api["isBase64Encoded"] = json!(false);
    http_api["body"] = Value::Null;
    let (_, response) = invoke(&emulator, Event::json(http_api.clone())).await;
    assert_eq!(
        response["cookies"],
        json!(["session=abc; Path=/; HttpOnly", "theme=dark; Path=/"]),
        "{response}"
    );
    http_api["rawPath"] = json!("/status/418");
    let (_, response) = invoke(&emulator, Event::json(http_api.clone())).await;
    assert_eq!(response["statusCode"], 418, "{response}");
    http_api["rawPath"] = json!("/binary");
    let (_, response) = invoke(&emulator, Event::json(http_api)).await;
    assert_eq!(response["isBase64Encoded"], true, "{response}");
    assert_eq!(
        response["body"], "iVBORw0KGgoA/w==",
        "the PNG bytes, base64"
    );

    // ALB with multi-value headers.
    let mut alb = fixture("alb_multi_value");
    alb["path"] = json!("/echo/orders/42");
    let (_, response) = invoke(&emulator, Event::json(alb)).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    assert!(response["multiValueHeaders"].is_object(), "{response}");
    let echo = echoed(&response);
    assert_eq!(echo["query"]["tag"], json!(["red", "blue"]));
    assert_eq!(echo["cookies"], json!(["session=abc"]));
    assert_eq!(echo["headers"]["x-forwarded-port"], json!(["443"]));

    // ALB without multi-value headers.
    let mut alb = fixture("alb");
    alb["path"] = json!("/echo/orders/42");
    let (_, response) = invoke(&emulator, Event::json(alb)).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    assert!(response["headers"].is_object(), "{response}");
    let echo = echoed(&response);
    assert_eq!(echo["query"]["q"], json!(["rust lang"]));
    assert_eq!(
        echo["headers"]["x-forwarded-proto"],
        json!(["http"]),
        "the ALB's own"
    );

    // A Lambda function URL.
    let mut url = fixture("function_url");
    url["rawPath"] = json!("/echo/orders/42");
    url["requestContext"]["http"]["path"] = json!("/echo/orders/42");
    let (_, response) = invoke(&emulator, Event::json(url)).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    let echo = echoed(&response);
    assert_eq!(echo["path"], "/echo/orders/42");
    assert_eq!(echo["rawQuery"], "tag=red&tag=blue");

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_event_is_posted_to_the_events_path_with_the_context_in_headers() {
    let emulator = LambdaEmulator::builder()
        .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:orders")
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("stopped");
    let web = Start::python(aws_env(&emulator))
        .var("STOP_MARKER", marker.to_str().unwrap())
        .var("LIGHT_RUNTIME_LAYERS", "timeout")
        .spawn();

    let sqs = fixture("aws/sqs");
    let id = emulator.push(Event::json(sqs.clone()).trace_id(XRAY));
    let result = emulator.result(&id, WAIT).await.expect("answered");
    let echo = result
        .body_json()
        .expect("the app's answer is the response");
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/events");
    let received: Value = serde_json::from_str(echo["body"].as_str().unwrap()).unwrap();
    assert_eq!(received, sqs, "the event as the platform sent it");
    let headers = &echo["headers"];
    assert_eq!(headers["content-type"], json!(["application/json"]));
    assert_eq!(headers["lambda-runtime-aws-request-id"], json!([id]));
    assert_eq!(
        headers["lambda-runtime-invoked-function-arn"],
        json!(["arn:aws:lambda:eu-west-1:123456789012:function:orders"])
    );
    assert_eq!(headers["lambda-runtime-trace-id"], json!([XRAY]));
    let deadline: u64 = headers["lambda-runtime-deadline-ms"][0]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        echo["env"],
        json!({
            "PORT": web.app_port.to_string(),
            "AWS_LAMBDA_RUNTIME_API": null,
            "LIGHT_RUNTIME_PLATFORM": "http",
            "LIGHT_RUNTIME_PLUGINS": "",
            "LIGHT_RUNTIME_LAYERS": null,
            "AWS_LAMBDA_FUNCTION_NAME": "orders",
        }),
        "the app's port, no runtime API, no plugins or layers of its own"
    );
    assert!(
        deadline > 1_600_000_000_000,
        "epoch milliseconds: {deadline}"
    );

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
    assert_eq!(
        std::fs::read_to_string(&marker).ok().as_deref(),
        Some("stopped"),
        "SIGTERM reached the app before web mode exited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logging_layer_sees_each_request_as_an_invocation() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stdout.log");
    let web = Start::python(aws_env(&emulator))
        .var("LIGHT_RUNTIME_LAYERS", "logging")
        .var("AWS_LAMBDA_LOG_LEVEL", "debug")
        .stdout_to(log.clone())
        .spawn();
    let mut event = fixture("apigw_http");
    event["rawPath"] = json!("/echo/one");
    let (first, _) = invoke(&emulator, Event::json(event.clone())).await;
    event["rawPath"] = json!("/status/503");
    let (second, response) = invoke(&emulator, Event::json(event)).await;
    assert_eq!(response["statusCode"], 503);
    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");

    let lines = std::fs::read_to_string(&log).unwrap();
    for id in [&first, &second] {
        assert!(
            lines.lines().any(|line| line.contains(id.as_str())),
            "a log line for invocation {id}:\n{lines}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_plugin_sees_each_request_as_an_invocation() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let work = support::private_dir();
    let audit_log = work.path().join("audit.log");
    let config = work.path().join("light-runtime.toml");
    std::fs::write(
        &config,
        format!(
            "[[plugins]]\npath = {:?}\nconfig = {{ path = {:?} }}\n",
            support::rust_plugin("audit"),
            audit_log
        ),
    )
    .unwrap();
    let web = Start::python(aws_env(&emulator))
        .var("LIGHT_RUNTIME_PLUGINS_CONFIG", config.to_str().unwrap())
        .spawn();

    let mut event = fixture("apigw_http");
    event["rawPath"] = json!("/echo/audited");
    let (first, _) = invoke(&emulator, Event::json(event.clone())).await;
    let queue = emulator.push(Event::json(fixture("aws/sqs")));
    assert!(emulator.result(&queue, WAIT).await.is_some());
    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");

    let audited: Vec<Value> = std::fs::read_to_string(&audit_log)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        audited.len(),
        2,
        "one line per request, none from the app: {audited:?}"
    );
    assert_eq!(audited[0]["request_id"], first.as_str());
    assert_eq!(audited[1]["request_id"], queue.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_light_runtime_function_as_the_app_serves_plain_http_and_leaves_the_platform_alone() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut start = Start::python(aws_env(&emulator));
    start.app = vec![support::echo_example().into_os_string()];
    let web = start.spawn();

    // The echo function answers its event; it gets it over plain HTTP from
    // web mode, not from the Runtime API, whose variable it never sees.
    let queue = fixture("aws/sqs");
    let id = emulator.push(Event::json(queue.clone()));
    let result = emulator.result(&id, WAIT).await.expect("answered");
    assert_eq!(result.body_json(), Some(queue));
    assert_eq!(emulator.answers_for(&id), 1);
    let nexts = emulator.count("/invocation/next");
    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
    assert!(
        nexts <= 2,
        "only web mode asks for events: {nexts} calls to next"
    );
}
