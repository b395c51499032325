//! One axum app, unchanged, behind every gateway and push platform: the
//! client sees the same status, headers, cookies and body whether the
//! request came as an API Gateway v2 event on the Lambda emulator, through
//! FC's HTTP trigger (pushed) or as plain HTTP; and the same again as an
//! API Gateway v1 event, ALB events in both header modes, an FC
//! HTTP-trigger event and an SCF API Gateway event.

mod http_app;

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http::Method;
use light_runtime::engine::CancellationToken;
use light_runtime::{Environment, Runtime, RuntimeError};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::caller::Reply;
use light_runtime_testkit::http_platform::{request, HttpPlatform};
use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use light_runtime_testkit::tencent_scf::{ScfEmulator, ScfEvent, ScfResult};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use http_app::app;

const WAIT: Duration = Duration::from_secs(20);

/// What a client asks.
struct Ask {
    method: Method,
    path: &'static str,
    cookie: Option<&'static str>,
    body: Option<Value>,
}

/// The three requests: path parameter and cookie in, JSON out; a 404; a
/// JSON body in, 201 with two cookies and a `Location` out.
fn asks() -> [Ask; 3] {
    [
        Ask {
            method: Method::GET,
            path: "/orders/42",
            cookie: Some("session=abc"),
            body: None,
        },
        Ask {
            method: Method::GET,
            path: "/orders/0",
            cookie: None,
            body: None,
        },
        Ask {
            method: Method::POST,
            path: "/orders",
            cookie: None,
            body: Some(json!({ "item": "book", "qty": 2 })),
        },
    ]
}

/// What the client saw: the status, the headers the app sets (others vary
/// by platform), every `Set-Cookie` joined with `", "` (FC's and SCF's
/// event responses hold one value per header), and the body.
#[derive(Debug, PartialEq)]
struct Seen {
    status: u16,
    headers: Vec<(String, String)>,
    cookies: String,
    body: String,
}

const KEPT: [&str; 4] = ["content-type", "x-order", "x-reason", "location"];

fn seen(status: u16, headers: Vec<(String, String)>, body: String) -> Seen {
    let mut kept: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| KEPT.contains(&name.to_ascii_lowercase().as_str()))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .collect();
    kept.sort();
    let cookies = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| value.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Seen {
        status,
        headers: kept,
        cookies,
        body,
    }
}

fn from_reply(reply: Reply) -> Seen {
    let body = String::from_utf8(reply.body.to_vec()).unwrap();
    seen(reply.status, reply.headers, body)
}

/// A gateway's response JSON as the client would see it.
fn from_gateway_json(json: &Value) -> Seen {
    let mut headers = Vec::new();
    let mut push = |name: &str, value: &Value| {
        headers.push((name.to_owned(), value.as_str().unwrap().to_owned()));
    };
    match json.get("multiValueHeaders").and_then(Value::as_object) {
        Some(multi) if !multi.is_empty() => {
            for (name, values) in multi {
                values
                    .as_array()
                    .unwrap()
                    .iter()
                    .for_each(|v| push(name, v));
            }
        }
        _ => {
            for (name, value) in json["headers"].as_object().unwrap() {
                push(name, value);
            }
        }
    }
    for cookie in json["cookies"].as_array().into_iter().flatten() {
        push("set-cookie", cookie);
    }
    let body = json["body"].as_str().unwrap_or_default();
    let body = if json["isBase64Encoded"] == true {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    } else {
        body.to_owned()
    };
    seen(json["statusCode"].as_u64().unwrap() as u16, headers, body)
}

fn plain_request(ask: &Ask) -> http::Request<Bytes> {
    let mut headers = vec![("host", "orders.example.com")];
    if let Some(cookie) = ask.cookie {
        headers.push(("cookie", cookie));
    }
    if ask.body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let body = ask
        .body
        .as_ref()
        .map_or(Bytes::new(), |b| b.to_string().into());
    request(ask.method.clone(), ask.path, &headers, body)
}

fn body_text(ask: &Ask) -> Option<String> {
    ask.body.as_ref().map(Value::to_string)
}

/// The headers a gateway passes on for `ask`, `host` named `host`.
fn headers(ask: &Ask, host: &str, names: [&str; 3]) -> Value {
    let mut headers = json!({ names[0]: host });
    if let Some(cookie) = ask.cookie {
        headers[names[1]] = json!(cookie);
    }
    if ask.body.is_some() {
        headers[names[2]] = json!("application/json");
    }
    headers
}

const LOWER: [&str; 3] = ["host", "cookie", "content-type"];
const TITLE: [&str; 3] = ["Host", "Cookie", "Content-Type"];

/// An API Gateway HTTP API (payload 2.0) event for `ask`.
fn v2_event(ask: &Ask) -> Value {
    // Payload 2.0 sends cookies in `cookies`, not as a header.
    let mut v2_headers = headers(ask, "api.example.com", LOWER);
    v2_headers.as_object_mut().unwrap().remove("cookie");
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": ask.path,
        "rawQueryString": "",
        "cookies": ask.cookie.map(|c| vec![c]),
        "headers": v2_headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
            "requestId": "req-v2", "stage": "$default", "time": "", "timeEpoch": 0,
            "http": { "method": ask.method.as_str(), "path": ask.path, "protocol": "HTTP/1.1",
                      "sourceIp": "198.51.100.7", "userAgent": "test" }
        },
        "body": body_text(ask),
        "isBase64Encoded": false
    })
}

/// An API Gateway REST API event for `ask`, on stage `prod`.
fn v1_event(ask: &Ask) -> Value {
    let headers = headers(ask, "api.example.com", TITLE);
    json!({
        "resource": "/{proxy+}", "path": ask.path, "httpMethod": ask.method.as_str(),
        "headers": headers, "multiValueHeaders": {},
        "queryStringParameters": null, "multiValueQueryStringParameters": null,
        "pathParameters": null, "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012", "resourceId": "r", "stage": "prod", "requestId": "req-v1",
            "httpMethod": ask.method.as_str(), "path": format!("/prod{}", ask.path),
            "identity": { "sourceIp": "198.51.100.7" }, "apiId": "api"
        },
        "body": body_text(ask), "isBase64Encoded": false
    })
}

/// An ALB event for `ask`, single- or multi-value.
fn alb_event(ask: &Ask, multi_value: bool) -> Value {
    let headers = headers(ask, "lb.example.com", LOWER);
    let mut event = json!({
        "requestContext": { "elb": { "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1" } },
        "httpMethod": ask.method.as_str(), "path": ask.path,
        "body": body_text(ask).unwrap_or_default(), "isBase64Encoded": false
    });
    if multi_value {
        let multi: serde_json::Map<String, Value> = headers
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), json!([v])))
            .collect();
        event["multiValueHeaders"] = Value::Object(multi);
        event["multiValueQueryStringParameters"] = json!({});
    } else {
        event["headers"] = headers;
        event["queryStringParameters"] = json!({});
    }
    event
}

/// An FC HTTP-trigger event for `ask` (FC's request struct).
fn fc_event(ask: &Ask) -> Value {
    let headers = headers(ask, "t.cn-hangzhou.fcapp.run", TITLE);
    json!({
        "version": "v1", "rawPath": ask.path, "body": body_text(ask).unwrap_or_default(),
        "isBase64Encoded": false, "headers": headers, "queryParameters": {},
        "requestContext": {
            "accountId": "1888888888888888", "domainName": "t.cn-hangzhou.fcapp.run", "domainPrefix": "t",
            "http": { "method": ask.method.as_str(), "path": ask.path, "protocol": "HTTP/1.1",
                      "sourceIp": "11.11.11.1", "userAgent": "test" },
            "requestId": "req-fc", "time": "2023-09-05T06:41:11Z", "timeEpoch": "1693896071895"
        }
    })
}

/// An SCF API Gateway trigger event for `ask`.
fn scf_event(ask: &Ask) -> Value {
    let headers = headers(ask, "service-1.gz.apigw.tencentcs.com", LOWER);
    json!({
        "requestContext": { "serviceId": "service-1", "path": "/orders", "httpMethod": "ANY",
                            "requestId": "req-scf", "identity": {}, "sourceIp": "10.0.2.14", "stage": "release" },
        "headers": headers, "body": body_text(ask), "pathParameters": {}, "queryStringParameters": {},
        "headerParameters": {}, "stageVariables": {}, "path": ask.path, "queryString": {},
        "httpMethod": ask.method.as_str()
    })
}

fn spawn<H, M: 'static>(
    env: Vec<(String, String)>,
    handler: H,
) -> (CancellationToken, JoinHandle<Result<(), RuntimeError>>)
where
    H: light_runtime::Handler<M> + Send + 'static,
{
    let shutdown = CancellationToken::new();
    let runtime = Runtime::builder().with_environment(Environment::from_vars(env));
    (
        shutdown.clone(),
        tokio::spawn(runtime.run_until(handler, shutdown)),
    )
}

async fn stop(running: (CancellationToken, JoinHandle<Result<(), RuntimeError>>)) {
    running.0.cancel();
    tokio::time::timeout(WAIT, running.1)
        .await
        .expect("the runtime stops in time")
        .unwrap()
        .unwrap();
}

async fn on_lambda(emulator: &LambdaEmulator, event: &Value) -> Seen {
    let id = emulator.push(Event::json(event.clone()));
    match emulator.result(&id, WAIT).await.expect("an answer in time") {
        InvocationResult::Response { body, .. } => {
            from_gateway_json(&serde_json::from_slice(&body).unwrap())
        }
        other => panic!("an error for {event}: {other:?}"),
    }
}

/// The reference: what a client sees over plain HTTP.
async fn plain_http() -> Vec<Seen> {
    let platform = HttpPlatform::knative().unwrap();
    let running = spawn(platform.env(), app());
    assert!(platform.wait_ready(WAIT).await);
    let mut seen = Vec::new();
    for ask in asks() {
        seen.push(from_reply(
            platform.send(plain_request(&ask)).await.unwrap(),
        ));
    }
    stop(running).await;
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_axum_app_answers_alike_behind_api_gateway_v2_fc_http_and_plain_http() {
    let reference = plain_http().await;
    assert_eq!(reference[0].status, 200);
    assert_eq!(reference[0].body, r#"{"id":42,"session":"abc"}"#);
    assert_eq!(
        reference[0].headers,
        [
            ("content-type".into(), "application/json".into()),
            ("x-order".into(), "42".into())
        ]
    );
    assert_eq!(reference[1].status, 404);
    assert_eq!(reference[2].status, 201);
    assert_eq!(
        reference[2].cookies,
        "session=s7; Path=/; HttpOnly, theme=light"
    );

    let emulator = LambdaEmulator::start().await.unwrap();
    let running = spawn(
        vec![("AWS_LAMBDA_RUNTIME_API".into(), emulator.runtime_api())],
        app(),
    );
    for (ask, expected) in asks().iter().zip(&reference) {
        assert_eq!(
            &on_lambda(&emulator, &v2_event(ask)).await,
            expected,
            "API Gateway v2: {}",
            ask.path
        );
    }
    stop(running).await;

    let fc = FcEmulator::builder()
        .function_name("orders")
        .start()
        .unwrap();
    let running = spawn(fc.env(), app());
    assert!(fc.wait_ready(WAIT).await);
    for (ask, expected) in asks().iter().zip(&reference) {
        let reply = fc.http_invoke(plain_request(ask)).await.unwrap();
        assert_eq!(
            &from_reply(reply),
            expected,
            "FC HTTP trigger (pushed): {}",
            ask.path
        );
    }
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_gateway_v1_and_alb_events_on_the_lambda_emulator_answer_alike() {
    let reference = plain_http().await;
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = vec![("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api())];
    let running = spawn(env.clone(), app());
    for (ask, expected) in asks().iter().zip(&reference) {
        assert_eq!(
            &on_lambda(&emulator, &alb_event(ask, false)).await,
            expected,
            "ALB: {}",
            ask.path
        );
        assert_eq!(
            &on_lambda(&emulator, &alb_event(ask, true)).await,
            expected,
            "ALB multi-value: {}",
            ask.path
        );
    }
    stop(running).await;

    // A REST API's stage is in front of the path, as the client called it:
    // the app is nested under it, as it would be deployed.
    let emulator = LambdaEmulator::start().await.unwrap();
    let staged = axum::Router::new().nest("/prod", app());
    let running = spawn(
        vec![("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api())],
        staged,
    );
    for (ask, expected) in asks().iter().zip(&reference) {
        assert_eq!(
            &on_lambda(&emulator, &v1_event(ask)).await,
            expected,
            "API Gateway v1: {}",
            ask.path
        );
    }
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fc_http_trigger_events_and_scf_api_gateway_events_answer_alike() {
    let reference = plain_http().await;

    let fc = FcEmulator::builder()
        .function_name("orders")
        .start()
        .unwrap();
    let running = spawn(fc.env(), app());
    assert!(fc.wait_ready(WAIT).await);
    for (ask, expected) in asks().iter().zip(&reference) {
        let reply = fc.invoke(fc_event(ask).to_string()).await.unwrap();
        assert_eq!(reply.header("x-fc-status"), Some("200"), "{reply:?}");
        let json = reply.body_json().expect("FC's response struct");
        assert_eq!(
            &from_gateway_json(&json),
            expected,
            "FC HTTP-trigger event: {}",
            ask.path
        );
    }
    stop(running).await;

    let scf = ScfEmulator::start().await.unwrap();
    let running = spawn(scf.env(), app());
    for (ask, expected) in asks().iter().zip(&reference) {
        let id = scf.push(ScfEvent::json(scf_event(ask)));
        let result = scf.result(&id, WAIT).await.expect("an answer in time");
        let ScfResult::Response { body } = result else {
            panic!("an error: {result:?}");
        };
        let json: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            &from_gateway_json(&json),
            expected,
            "SCF API Gateway event: {}",
            ask.path
        );
    }
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_context_and_the_invocation_context_reach_the_app() {
    use axum::extract::Extension;
    use light_runtime::events::http::RequestContext;
    use light_runtime::Context;

    async fn who(
        Extension(gateway): Extension<RequestContext>,
        Extension(ctx): Extension<Context>,
    ) -> axum::Json<Value> {
        axum::Json(json!({
            "gateway_request": gateway.request_id,
            "ip": gateway.source_ip,
            "claim": gateway.claim("sub"),
            "invocation": ctx.request_id(),
        }))
    }
    let emulator = LambdaEmulator::start().await.unwrap();
    let router = axum::Router::new().fallback(who);
    let running = spawn(
        vec![("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api())],
        router,
    );
    let mut event = v2_event(&asks()[0]);
    event["requestContext"]["authorizer"] =
        json!({ "jwt": { "claims": { "sub": "user-7" }, "scopes": [] } });
    let id = emulator.push(Event::json(event).request_id("inv-1"));
    let InvocationResult::Response { body, .. } = emulator.result(&id, WAIT).await.unwrap() else {
        panic!("an error");
    };
    let json: Value = serde_json::from_slice(&body).unwrap();
    let inner: Value = serde_json::from_str(json["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        inner,
        json!({ "gateway_request": "req-v2", "ip": "198.51.100.7", "claim": "user-7", "invocation": "inv-1" })
    );
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_gateway_event_is_one_malformed_event_error_and_plain_events_still_post() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let running = spawn(
        vec![("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api())],
        app(),
    );
    let bad = json!({ "version": "2.0", "rawPath": "/orders/1", "isBase64Encoded": true, "body": "%%",
                      "requestContext": { "http": { "method": "GET" } } });
    let id = emulator.push(Event::json(bad));
    match emulator.result(&id, WAIT).await.unwrap() {
        InvocationResult::Error { body, .. } => {
            assert_eq!(body["errorType"], "Runtime.MalformedEvent");
            let message = body["errorMessage"].as_str().unwrap();
            assert!(
                message.contains("API Gateway HTTP API") && message.contains("base64"),
                "{message}"
            );
        }
        other => panic!("expected an error: {other:?}"),
    }
    assert_eq!(emulator.answers_for(&id), 1);
    // Any other event is `POST /` with the event as its body: the echo route.
    let id = emulator.push(Event::json(json!({ "name": "Ada" })));
    let InvocationResult::Response { body, .. } = emulator.result(&id, WAIT).await.unwrap() else {
        panic!("an error");
    };
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["method"], "POST");
    assert_eq!(json["path"], "/");
    assert_eq!(json["body"], r#"{"name":"Ada"}"#);
    stop(running).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_fn_of_request_body_answers_a_gateway_event_and_plain_http_alike() {
    use light_runtime::http::Body;
    use light_runtime::{Context, Error};

    async fn shout(
        request: http::Request<Body>,
        _ctx: Context,
    ) -> Result<http::Response<String>, Error> {
        let text = String::from_utf8_lossy(request.body()).to_uppercase();
        Ok(http::Response::builder()
            .status(201)
            .header("content-type", "text/plain")
            .header("x-path", request.uri().path())
            .body(text)?)
    }
    let ask = Ask {
        method: Method::POST,
        path: "/shout",
        cookie: None,
        body: Some(json!("hi")),
    };

    let platform = HttpPlatform::knative().unwrap();
    let running = spawn(platform.env(), shout);
    assert!(platform.wait_ready(WAIT).await);
    let plain = platform.send(plain_request(&ask)).await.unwrap();
    stop(running).await;
    assert_eq!(plain.status, 201);
    assert_eq!(plain.header("x-path"), Some("/shout"));
    assert_eq!(&plain.body[..], br#""HI""#);

    let emulator = LambdaEmulator::start().await.unwrap();
    let running = spawn(
        vec![("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api())],
        shout,
    );
    let id = emulator.push(Event::json(v2_event(&ask)));
    let InvocationResult::Response { body, .. } = emulator.result(&id, WAIT).await.unwrap() else {
        panic!("an error");
    };
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["statusCode"], 201);
    assert_eq!(json["headers"]["x-path"], "/shout");
    assert_eq!(json["body"], r#""HI""#);
    stop(running).await;
}
