//! The Lambda emulator driven by a plain hyper client and raw TCP, as a
//! runtime would drive it.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use light_runtime_emulators::lambda::MAX_PAYLOAD;
use light_runtime_emulators::{Event, InvocationResult, LambdaEmulator};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(5);
const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const REGISTER: &str = "/2020-01-01/extension/register";
const EXTENSION_NEXT: &str = "/2020-01-01/extension/event/next";

/// One keep-alive connection to the emulator.
struct Client {
    sender: SendRequest<Full<Bytes>>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn error_type(&self) -> String {
        self.json()["errorType"].as_str().unwrap().to_owned()
    }
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        Client { sender }
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Answer, hyper::Error> {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body.into())).unwrap();
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.send(Method::GET, path, &[], Bytes::new())
            .await
            .unwrap()
    }

    async fn post(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Answer {
        self.send(Method::POST, path, headers, body).await.unwrap()
    }

    async fn next(&mut self) -> Answer {
        tokio::time::timeout(WAIT, self.get(NEXT))
            .await
            .expect("next answered")
    }
}

fn response_path(request_id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{request_id}/response")
}

fn error_path(request_id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{request_id}/error")
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

#[tokio::test]
async fn next_and_response_round_trip_with_every_header() {
    let arn = "arn:aws:lambda:eu-west-1:111122223333:function:echo:live";
    let emulator = LambdaEmulator::builder()
        .function_arn(arn)
        .timeout(Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    assert_eq!(emulator.runtime_api(), emulator.addr().to_string());
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let request_id = emulator.push(
        Event::json(json!({"name": "ada"}))
            .request_id("req-1")
            .trace_id(trace)
            .client_context(r#"{"custom":{"k":"v"}}"#)
            .cognito_identity(r#"{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}"#)
            .tenant_id("tenant-7")
            .header("X-Extra", "yes"),
    );
    assert_eq!(request_id, "req-1");

    let mut client = Client::connect(emulator.addr()).await;
    let before = now_ms();
    let event = client.next().await;
    let after = now_ms();
    assert_eq!(event.status, StatusCode::OK);
    assert_eq!(event.json(), json!({"name": "ada"}));
    assert_eq!(event.header("lambda-runtime-aws-request-id"), Some("req-1"));
    assert_eq!(
        event.header("lambda-runtime-invoked-function-arn"),
        Some(arn)
    );
    assert_eq!(event.header("lambda-runtime-trace-id"), Some(trace));
    assert_eq!(
        event.header("lambda-runtime-client-context"),
        Some(r#"{"custom":{"k":"v"}}"#)
    );
    assert!(event
        .header("lambda-runtime-cognito-identity")
        .unwrap()
        .contains("pool"));
    assert_eq!(
        event.header("lambda-runtime-aws-tenant-id"),
        Some("tenant-7")
    );
    assert_eq!(event.header("content-type"), Some("application/json"));
    assert_eq!(event.header("x-extra"), Some("yes"));
    let deadline: u128 = event
        .header("lambda-runtime-deadline-ms")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (before + 10_000..=after + 10_000).contains(&deadline),
        "deadline {deadline} not 10 s after {before}..{after}"
    );

    // Same connection: keep-alive.
    let accepted = client
        .post(
            &response_path("req-1"),
            &[("content-type", "text/plain")],
            "hello",
        )
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    assert_eq!(accepted.json(), json!({"status": "OK"}));

    let result = emulator.result("req-1", WAIT).await.unwrap();
    assert_eq!(
        result,
        InvocationResult::Response {
            body: Bytes::from_static(b"hello"),
            content_type: Some("text/plain".to_owned()),
        }
    );
    assert!(!result.is_error());
    assert_eq!(emulator.answers_for("req-1"), 1);
    assert_eq!(emulator.max_in_flight(), 1);
    assert_eq!(emulator.count("/next"), 1);
    assert_eq!(emulator.count("/response"), 1);
    let calls = emulator.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].method.as_str(), calls[0].status), ("GET", 200));
    assert_eq!(calls[1].path, response_path("req-1"));
    assert_eq!(calls[1].header("Content-Type"), Some("text/plain"));
    assert_eq!(calls[1].body.as_ref(), b"hello");
}

#[tokio::test]
async fn optional_headers_are_omitted_and_ids_are_fresh() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let first = emulator.push(Event::raw("{not json"));
    let second = emulator.push(Event::raw("[]").deadline_in(Duration::from_millis(1500)));
    assert_ne!(first, second);
    assert_eq!(first.len(), 36, "UUID-like: {first}");

    let mut client = Client::connect(emulator.addr()).await;
    let event = client.next().await;
    assert_eq!(event.body.as_ref(), b"{not json");
    assert_eq!(
        event.header("lambda-runtime-aws-request-id"),
        Some(first.as_str())
    );
    assert_eq!(
        event.header("lambda-runtime-invoked-function-arn"),
        Some("arn:aws:lambda:us-east-1:123456789012:function:test-function")
    );
    for absent in [
        "lambda-runtime-trace-id",
        "lambda-runtime-client-context",
        "lambda-runtime-cognito-identity",
        "lambda-runtime-aws-tenant-id",
    ] {
        assert_eq!(event.header(absent), None, "{absent}");
    }
    client.post(&response_path(&first), &[], "1").await;

    let now = now_ms();
    let event = client.next().await;
    let deadline: u128 = event
        .header("lambda-runtime-deadline-ms")
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (now + 1500..now + 2500).contains(&deadline),
        "per-event deadline"
    );
}

#[tokio::test]
async fn a_second_answer_is_refused_with_403() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let id = emulator.push(Event::json(json!(1)));
    let mut client = Client::connect(emulator.addr()).await;
    client.next().await;

    assert_eq!(
        client.post(&response_path(&id), &[], "1").await.status,
        StatusCode::ACCEPTED
    );
    let again = client.post(&response_path(&id), &[], "2").await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert_eq!(again.error_type(), "InvalidStateTransition");
    let error = client.post(&error_path(&id), &[], "{}").await;
    assert_eq!(error.status, StatusCode::FORBIDDEN);

    assert_eq!(emulator.answers_for(&id), 3);
    let result = emulator.result(&id, WAIT).await.unwrap();
    assert_eq!(
        result.response_body().unwrap().as_ref(),
        b"1",
        "first answer kept"
    );
}

#[tokio::test]
async fn an_id_not_in_flight_is_refused_with_400() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let queued = emulator.push(Event::json(json!(1)));
    let mut client = Client::connect(emulator.addr()).await;

    for id in ["no-such-id", queued.as_str()] {
        let refused = client.post(&response_path(id), &[], "1").await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{id}");
        assert_eq!(refused.error_type(), "InvalidRequestID");
        assert!(refused.json()["errorMessage"].is_string());
    }
    assert_eq!(emulator.answers_for("no-such-id"), 1);
    assert!(emulator.result(&queued, Duration::ZERO).await.is_none());
}

#[tokio::test]
async fn errors_are_recorded_with_their_type_header() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let id = emulator.push(Event::json(json!(1)));
    let mut client = Client::connect(emulator.addr()).await;
    client.next().await;

    let body = r#"{"errorMessage":"boom","errorType":"Handler.Failed","stackTrace":[]}"#;
    let headers = [("lambda-runtime-function-error-type", "Runtime.Unhandled")];
    let accepted = client.post(&error_path(&id), &headers, body).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);

    let result = emulator.result(&id, WAIT).await.unwrap();
    assert!(result.is_error());
    assert_eq!(result.error_type(), Some("Handler.Failed"));
    assert_eq!(result.error_message(), Some("boom"));
    match result {
        InvocationResult::Error {
            error_type_header, ..
        } => assert_eq!(error_type_header.as_deref(), Some("Runtime.Unhandled")),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn init_error_is_recorded_during_init_only() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut client = Client::connect(emulator.addr()).await;
    let body = r#"{"errorMessage":"no config","errorType":"Runtime.ConfigInvalid"}"#;
    let headers = [(
        "lambda-runtime-function-error-type",
        "Runtime.ConfigInvalid",
    )];
    let accepted = client
        .post("/2018-06-01/runtime/init/error", &headers, body)
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);

    let recorded = emulator.wait_init_error(WAIT).await.unwrap();
    assert_eq!(
        recorded.header("Lambda-Runtime-Function-Error-Type"),
        Some("Runtime.ConfigInvalid")
    );
    assert_eq!(recorded.body.as_ref(), body.as_bytes());
    assert_eq!(emulator.init_error(), Some(recorded));

    emulator.push(Event::json(json!(1)));
    client.next().await;
    let late = client
        .post("/2018-06-01/runtime/init/error", &[], "{}")
        .await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
    assert_eq!(late.error_type(), "InvalidStateTransition");
}

#[tokio::test]
async fn oversized_answers_get_413_and_the_invocation_stays_open() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let id = emulator.push(Event::json(json!(1)));
    let mut client = Client::connect(emulator.addr()).await;
    client.next().await;

    let too_large = client
        .post(&response_path(&id), &[], vec![b'x'; MAX_PAYLOAD + 1])
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.error_type(), "RequestEntityTooLarge");
    assert!(emulator.result(&id, Duration::ZERO).await.is_none());

    let just_fits = client
        .post(&response_path(&id), &[], vec![b'x'; MAX_PAYLOAD])
        .await;
    assert_eq!(just_fits.status, StatusCode::ACCEPTED);
    assert_eq!(emulator.answers_for(&id), 2);
}

#[tokio::test]
async fn extensions_register_and_get_shutdown() {
    let emulator = LambdaEmulator::builder()
        .function_arn("arn:aws:lambda:us-east-1:444455556666:function:shop")
        .start()
        .await
        .unwrap();
    let mut client = Client::connect(emulator.addr()).await;

    let nameless = client
        .post(REGISTER, &[], r#"{"events":["SHUTDOWN"]}"#)
        .await;
    assert_eq!(nameless.status, StatusCode::FORBIDDEN);
    assert_eq!(nameless.error_type(), "Extension.InvalidExtensionName");

    let headers = [
        ("lambda-extension-name", "watcher"),
        ("lambda-extension-accept-feature", "accountId"),
    ];
    let registered = client
        .post(REGISTER, &headers, r#"{"events":["SHUTDOWN"]}"#)
        .await;
    assert_eq!(registered.status, StatusCode::OK);
    assert_eq!(
        registered.json(),
        json!({"functionName": "shop", "functionVersion": "$LATEST", "handler": "bootstrap",
               "accountId": "444455556666"})
    );
    let identifier = registered
        .header("lambda-extension-identifier")
        .unwrap()
        .to_owned();

    let quiet = [("lambda-extension-name", "quiet")];
    let quiet = client.post(REGISTER, &quiet, r#"{"events":[]}"#).await;
    let quiet_id = quiet
        .header("lambda-extension-identifier")
        .unwrap()
        .to_owned();
    assert_eq!(emulator.extensions(), ["watcher", "quiet"]);

    let anonymous = client.get(EXTENSION_NEXT).await;
    assert_eq!(
        anonymous.error_type(),
        "Extension.MissingExtensionIdentifier"
    );

    // The runtime's first next closes registration.
    let mut runtime = Client::connect(emulator.addr()).await;
    let waiting = tokio::spawn(async move { runtime.get(NEXT).await });
    assert!(emulator.wait_next_waiting(1, WAIT).await);
    let late = client
        .post(REGISTER, &[("lambda-extension-name", "late")], "")
        .await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
    assert_eq!(late.error_type(), "Extension.RegistrationClosed");
    waiting.abort();

    let mut quiet_client = Client::connect(emulator.addr()).await;
    let quiet_next = tokio::spawn(async move {
        let headers = [("lambda-extension-identifier", quiet_id.as_str())];
        quiet_client
            .send(Method::GET, EXTENSION_NEXT, &headers, Bytes::new())
            .await
    });
    let watcher_next = tokio::spawn(async move {
        let headers = [("lambda-extension-identifier", identifier.as_str())];
        client
            .send(Method::GET, EXTENSION_NEXT, &headers, Bytes::new())
            .await
    });
    emulator.shutdown("spindown");
    let event = tokio::time::timeout(WAIT, watcher_next)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(event.status, StatusCode::OK);
    let event = event.json();
    assert_eq!(event["eventType"], "SHUTDOWN");
    assert_eq!(event["shutdownReason"], "spindown");
    assert!(event["deadlineMs"].as_u64().unwrap() as u128 > now_ms());

    // Not subscribed to SHUTDOWN: still waiting, like a real extension.
    assert!(!quiet_next.is_finished());
    quiet_next.abort();
}

#[tokio::test]
async fn refused_extensions_get_registration_closed() {
    let emulator = LambdaEmulator::start().await.unwrap();
    emulator.refuse_extensions(true);
    let mut client = Client::connect(emulator.addr()).await;
    let refused = client
        .post(REGISTER, &[("lambda-extension-name", "x")], "{}")
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.error_type(), "Extension.RegistrationClosed");
    assert!(emulator.extensions().is_empty());
}

#[tokio::test]
async fn concurrent_nexts_each_get_one_event() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut workers = Vec::new();
    for _ in 0..2 {
        let mut client = Client::connect(emulator.addr()).await;
        workers.push(tokio::spawn(async move {
            let event = client.next().await;
            let id = event
                .header("lambda-runtime-aws-request-id")
                .unwrap()
                .to_owned();
            (client, id)
        }));
    }
    assert!(emulator.wait_next_waiting(2, WAIT).await);
    let pushed = [
        emulator.push(Event::json(json!(1))),
        emulator.push(Event::json(json!(2))),
    ];

    let mut got = Vec::new();
    let mut clients = Vec::new();
    for worker in workers {
        let (client, id) = worker.await.unwrap();
        got.push(id);
        clients.push(client);
    }
    got.sort();
    let mut expected = pushed.to_vec();
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(emulator.max_in_flight(), 2);

    for (client, id) in clients.iter_mut().zip(&got) {
        client.post(&response_path(id), &[], "ok").await;
    }
    assert!(emulator.wait_results(2, WAIT).await);
}

#[tokio::test]
async fn injected_failures_answer_next_at_once() {
    let emulator = LambdaEmulator::start().await.unwrap();
    emulator.fail_next_calls(1, 500);
    let mut client = Client::connect(emulator.addr()).await;
    let failed = client.next().await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(failed.json()["errorType"].is_string());

    let id = emulator.push(Event::json(json!(1)));
    let event = client.next().await;
    assert_eq!(
        event.header("lambda-runtime-aws-request-id"),
        Some(id.as_str())
    );
}

#[tokio::test]
async fn raw_http_without_host_keeps_the_connection_alive() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let id = emulator.push(Event::raw("ping"));
    let mut stream = TcpStream::connect(emulator.addr()).await.unwrap();

    stream
        .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let (head, body) = read_response(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, b"ping");

    let post = format!(
        "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\ncontent-length: 4\r\n\r\npong"
    );
    stream.write_all(post.as_bytes()).await.unwrap();
    let (head, body) = read_response(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 202"), "{head}");
    assert_eq!(body, br#"{"status":"OK"}"#);

    stream
        .write_all(b"GET /nowhere HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
}

/// Reads one `content-length` framed response: its head and its body.
async fn read_response(stream: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buffer = Vec::new();
    let read = async {
        loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8(buffer[..end].to_vec()).unwrap();
                let length: usize = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if buffer.len() >= end + 4 + length {
                    let body = buffer.drain(end + 4..end + 4 + length).collect();
                    return (head, body);
                }
            }
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed mid-response");
            buffer.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(WAIT, read).await.expect("a response")
}

#[tokio::test]
async fn stop_drops_connections_and_refuses_new_ones() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let addr = emulator.addr();
    let mut client = Client::connect(addr).await;
    let waiting =
        tokio::spawn(async move { client.send(Method::GET, NEXT, &[], Bytes::new()).await });
    assert!(emulator.wait_next_waiting(1, WAIT).await);

    emulator.stop();
    let dropped = tokio::time::timeout(WAIT, waiting).await.unwrap().unwrap();
    assert!(
        dropped.is_err(),
        "the waiting next sees its connection close"
    );

    // Whether the listener is already gone (refused) or closes the
    // accepted socket at once, no HTTP answer comes back.
    if let Ok(mut stream) = TcpStream::connect(addr).await {
        let _ = stream
            .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n")
            .await;
        let mut buffer = [0u8; 64];
        let read = tokio::time::timeout(WAIT, stream.read(&mut buffer))
            .await
            .unwrap();
        assert!(matches!(read, Ok(0) | Err(_)), "no answer after stop");
    }
}

#[tokio::test]
async fn a_next_whose_connection_closed_takes_no_event() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut gone = Client::connect(emulator.addr()).await;
    let waiting = tokio::spawn(async move { gone.get(NEXT).await });
    assert!(emulator.wait_next_waiting(1, WAIT).await);
    waiting.abort();
    let _ = waiting.await;

    let id = emulator.push(Event::json(json!(1)));
    let mut client = Client::connect(emulator.addr()).await;
    let event = client.next().await;
    assert_eq!(
        event.header("lambda-runtime-aws-request-id"),
        Some(id.as_str())
    );
}

const RESTORE_NEXT: &str = "/2018-06-01/runtime/restore/next";
const RESTORE_ERROR: &str = "/2018-06-01/runtime/restore/error";

#[tokio::test]
async fn restore_calls_are_not_served_without_snap_start() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut client = Client::connect(emulator.addr()).await;
    assert_eq!(client.get(RESTORE_NEXT).await.status, StatusCode::NOT_FOUND);
    let posted = client.post(RESTORE_ERROR, &[], "{}").await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND);
    assert_eq!(emulator.restores(), 0);
}

#[tokio::test]
async fn a_snap_start_restore_kills_older_connections_and_takes_one_restore_error() {
    let emulator = LambdaEmulator::builder()
        .snap_start()
        .start()
        .await
        .unwrap();
    let mut before = Client::connect(emulator.addr()).await;
    // Before the restore, there is no restore to report on.
    let early = before.post(RESTORE_ERROR, &[], "{}").await;
    assert_eq!(early.status, StatusCode::FORBIDDEN);
    assert_eq!(early.error_type(), "InvalidStateTransition");

    let restored = before.get(RESTORE_NEXT).await;
    assert_eq!(restored.status, StatusCode::OK);
    assert_eq!(emulator.restores(), 1);

    // The connection from before the snapshot is dead, and says so.
    let stale = before.send(Method::GET, NEXT, &[], Bytes::new()).await;
    assert!(
        stale.is_err(),
        "a call on a pre-restore connection is not answered"
    );
    let recorded = emulator.stale_connection_calls();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].path, NEXT);

    // A new connection works: one restore error is taken, a second restore is refused.
    let mut after = Client::connect(emulator.addr()).await;
    let headers = [(
        "lambda-runtime-function-error-type",
        "Runtime.AfterRestoreError",
    )];
    let body = r#"{"errorMessage":"pool","errorType":"Runtime.AfterRestoreError"}"#;
    let accepted = after.post(RESTORE_ERROR, &headers, body).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    let recorded = emulator.wait_restore_error(WAIT).await.unwrap();
    assert_eq!(recorded.body.as_ref(), body.as_bytes());
    assert_eq!(
        recorded.header("lambda-runtime-function-error-type"),
        Some("Runtime.AfterRestoreError")
    );
    let again = after.get(RESTORE_NEXT).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);

    // Once the runtime asks for events, the restore phase is over.
    emulator.push(Event::json(json!(1)));
    after.next().await;
    let late = after.post(RESTORE_ERROR, &[], "{}").await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
}
