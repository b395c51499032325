//! Web mode on FC, SCF and a plain-HTTP platform (Knative): FC's HTTP
//! invocations, SCF web functions and plain HTTP pass the client's request
//! through to the Python app and its response back, streamed; a crash is a
//! `502`; websockets pass through, echoed by the app; FC HTTP-trigger and
//! SCF API Gateway events come back in their own shape; `/pre-stop` stops
//! the app with SIGTERM.

mod web_support;

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::Method;
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::http_platform::{request, HttpPlatform};
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use web_support::{Start, WAIT};

/// Opens a websocket to `/ws` on `port` with `headers` added to the
/// handshake, echoes a text and a binary message through it and closes it.
async fn websocket_echo(port: u16, headers: &[(String, String)]) {
    let mut handshake = format!("ws://127.0.0.1:{port}/ws")
        .into_client_request()
        .unwrap();
    for (name, value) in headers {
        handshake.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (mut socket, response) =
        tokio::time::timeout(WAIT, tokio_tungstenite::client_async(handshake, stream))
            .await
            .expect("the handshake completes")
            .expect("the app accepts the websocket");
    assert_eq!(response.status(), 101);

    for message in [
        Message::text("hello through light-runtime"),
        Message::binary(Bytes::from_static(&[0, 1, 2, 255])),
        Message::text("x".repeat(70_000)),
    ] {
        socket.send(message.clone()).await.unwrap();
        let echoed = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("echoed in time")
            .expect("the socket is open")
            .unwrap();
        assert_eq!(echoed, message);
    }
    socket.close(None).await.unwrap();
    // The app answers the close; the socket then ends.
    let ended = tokio::time::timeout(WAIT, async {
        while let Some(Ok(message)) = socket.next().await {
            if message.is_close() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the close is answered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fc_http_invocations_pass_through_and_websockets_too() {
    let fc = FcEmulator::builder()
        .function_name("orders")
        .start()
        .unwrap();
    let web = Start::python(fc.env())
        .option("--readiness")
        .option("/health")
        .spawn();
    assert!(fc.wait_ready(WAIT).await, "FC's port opens");

    let reply = fc
        .http_invoke(request(
            Method::PUT,
            "/echo/orders?tag=red&tag=blue",
            &[
                ("cookie", "session=abc; theme=dark"),
                ("lambda-runtime-aws-request-id", "spoofed-by-the-client"),
                ("content-type", "text/plain"),
            ],
            Bytes::from_static(b"the body"),
        ))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{reply:?}");
    let echo = reply.body_json().unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/echo/orders");
    assert_eq!(echo["query"]["tag"], json!(["red", "blue"]));
    assert_eq!(echo["cookies"], json!(["session=abc", "theme=dark"]));
    assert_eq!(echo["body"], "the body");
    let headers = echo["headers"].as_object().unwrap();
    assert!(
        headers.keys().all(|name| !name.starts_with("x-fc-")),
        "FC's own headers stay with the platform: {headers:?}"
    );
    assert_eq!(headers["x-forwarded-proto"], json!(["http"]));
    assert!(headers["lambda-runtime-aws-request-id"][0]
        .as_str()
        .unwrap()
        .starts_with("fc-req-"));
    assert_eq!(
        headers["lambda-runtime-aws-request-id"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "the client's own value is overruled: {headers:?}"
    );

    let status = fc
        .http_invoke(request(Method::GET, "/status/404", &[], Bytes::new()))
        .await
        .unwrap();
    assert_eq!(status.status, 404);
    assert_eq!(&status.body[..], b"status 404");

    let crashed = fc
        .http_invoke(request(Method::GET, "/crash", &[], Bytes::new()))
        .await
        .unwrap();
    assert_eq!(crashed.status, 502, "{crashed:?}");
    assert_eq!(&crashed.body[..], b"app exited: exit status 1\n");

    // Served again once restarted; then a websocket through FC's HTTP path.
    let again = fc
        .http_invoke(request(Method::GET, "/echo/again", &[], Bytes::new()))
        .await
        .unwrap();
    assert_eq!(again.status, 200, "{again:?}");
    let fc_headers: Vec<(String, String)> = fc
        .request(Method::GET, "/ws", "/http-invoke", Bytes::new())
        .into_http()
        .headers()
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    websocket_echo(fc.port(), &fc_headers).await;

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_fc_http_trigger_event_is_answered_in_its_own_shape() {
    let fc = FcEmulator::builder()
        .function_name("orders")
        .start()
        .unwrap();
    let web = Start::python(fc.env()).spawn();
    assert!(fc.wait_ready(WAIT).await, "FC's port opens");

    let path = format!(
        "{}/../events/tests/fixtures/fc_http_trigger.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["rawPath"] = json!("/echo/orders/42");
    event["requestContext"]["http"]["path"] = json!("/echo/orders/42");
    let reply = fc.invoke(event.to_string()).await.unwrap();
    assert_eq!(reply.header("x-fc-status"), Some("200"), "{reply:?}");
    let response = reply.body_json().expect("the trigger's response JSON");
    assert_eq!(response["statusCode"], 200, "{response}");
    let body = response["body"].as_str().unwrap();
    let body = if response["isBase64Encoded"] == json!(true) {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    } else {
        body.to_owned()
    };
    let echo: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/echo/orders/42");
    assert_eq!(echo["body"], "Hello FC!", "the base64 body, decoded");
    assert_eq!(echo["cookies"], json!(["session=abc"]));
    assert_eq!(echo["headers"]["x-forwarded-for"], json!(["11.11.11.1"]));

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fc_pre_stop_stops_the_app_with_sigterm() {
    let fc = FcEmulator::builder()
        .function_name("orders")
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("stopped");
    let web = Start::python(fc.env())
        .var("STOP_MARKER", marker.to_str().unwrap())
        .spawn();
    assert!(fc.wait_ready(WAIT).await, "FC's port opens");
    let reply = fc
        .http_invoke(request(Method::GET, "/echo", &[], Bytes::new()))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);

    let stopped = fc.pre_stop().await.unwrap();
    assert_eq!(stopped.status, 200, "{stopped:?}");
    assert_eq!(
        std::fs::read_to_string(&marker).ok().as_deref(),
        Some("stopped"),
        "the app had SIGTERM before /pre-stop was answered"
    );
    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_scf_web_function_passes_requests_through() {
    let platform = HttpPlatform::scf_web().unwrap();
    let web = Start::python(platform.env()).spawn();
    assert!(platform.wait_ready(WAIT).await, "the platform's port opens");
    let reply = platform
        .send(request(Method::GET, "/echo/scf?a=1&a=2", &[], Bytes::new()))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body_json().unwrap()["query"]["a"], json!(["1", "2"]));
    websocket_echo(platform.caller().addr().port(), &[]).await;
    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_passes_requests_through_streams_bodies_and_websockets() {
    let platform = HttpPlatform::knative().unwrap();
    let web = Start::python(platform.env()).spawn();
    assert!(platform.wait_ready(WAIT).await, "the platform's port opens");

    let reply = platform
        .send(request(
            Method::POST,
            "/echo/items?q=rust%20lang",
            &[("content-type", "application/json")],
            Bytes::from_static(br#"{"n":1}"#),
        ))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{reply:?}");
    let echo = reply.body_json().unwrap();
    assert_eq!(echo["path"], "/echo/items");
    assert_eq!(echo["query"]["q"], json!(["rust lang"]));
    assert_eq!(echo["body"], r#"{"n":1}"#);

    // A chunked body of unknown length passes through whole, with no
    // platform limit in the way.
    let big = platform
        .send(request(
            Method::GET,
            "/big?bytes=8000000&chunked=1",
            &[],
            Bytes::new(),
        ))
        .await
        .unwrap();
    assert_eq!(big.status, 200);
    assert_eq!(big.body.len(), 8_000_000);

    websocket_echo(platform.caller().addr().port(), &[]).await;
    // Two at once, each its own connection to the app.
    let port = platform.caller().addr().port();
    tokio::time::timeout(
        Duration::from_secs(30),
        futures_util::future::join(websocket_echo(port, &[]), websocket_echo(port, &[])),
    )
    .await
    .expect("both echo");

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_scf_api_gateway_event_is_answered_in_its_own_shape_within_6_mb() {
    use light_runtime_testkit::tencent_scf::{ScfEmulator, ScfEvent};

    let scf = ScfEmulator::start().await.unwrap();
    let web = Start::python(scf.env()).spawn();

    let path = format!(
        "{}/../events/tests/fixtures/scf_api_gateway.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["path"] = json!("/echo/orders/42");
    let id = scf.push(ScfEvent::json(event.clone()));
    let result = scf.result(&id, WAIT).await.expect("answered");
    let response = result.body_json().expect("the gateway's response JSON");
    assert_eq!(response["statusCode"], 200, "{response}");
    let echo: serde_json::Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert!(
        echo["path"].as_str().unwrap().ends_with("/echo/orders/42"),
        "{echo}"
    );
    assert_eq!(echo["body"], r#"{"items":[1,2]}"#);
    assert_eq!(echo["headers"]["x-forwarded-for"], json!(["10.0.2.14"]));
    assert_eq!(scf.answers_for(&id), 1);

    // SCF takes a response of at most 6 MB: a larger body is a clear error.
    event["path"] = json!("/big");
    event["queryString"] = json!({"bytes": "7000000"});
    let id = scf.push(ScfEvent::json(event));
    let result = scf.result(&id, WAIT).await.expect("answered");
    assert!(result.is_error(), "{result:?}");
    let body = match &result {
        light_runtime_testkit::tencent_scf::ScfResult::Error { body } => {
            String::from_utf8_lossy(body).into_owned()
        }
        other => panic!("{other:?}"),
    };
    assert!(body.contains("Function.ResponseSizeTooLarge"), "{body}");
    assert!(body.contains("7000000 bytes"), "{body}");

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_app_is_answered_503_within_the_ready_timeout() {
    let platform = HttpPlatform::knative().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let started_once = dir.path().join("started-once");
    // Starts once; every start after that fails at once.
    let script = format!(
        "if [ -e '{mark}' ]; then exit 1; fi; touch '{mark}'; exec {python}",
        mark = started_once.display(),
        python = web_support::python_app()
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" "),
    );
    let mut start = Start::python(platform.env())
        .option("--ready-timeout")
        .option("600ms");
    start.app = vec!["sh".into(), "-c".into(), script.into()];
    let web = start.spawn();
    assert!(platform.wait_ready(WAIT).await, "the platform's port opens");

    let crashed = platform
        .send(request(Method::GET, "/crash", &[], Bytes::new()))
        .await
        .unwrap();
    assert_eq!(crashed.status, 502, "{crashed:?}");
    let waited = std::time::Instant::now();
    let refused = platform
        .send(request(Method::GET, "/echo", &[], Bytes::new()))
        .await
        .unwrap();
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(
        String::from_utf8_lossy(&refused.body),
        "the app is not ready again within 600 ms: app exited: exit status 1\n"
    );
    assert!(waited.elapsed() >= Duration::from_millis(600));

    let status = web.stop().await;
    assert!(status.success(), "orderly exit: {status}");
}
