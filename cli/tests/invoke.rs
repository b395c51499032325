//! `light-runtime invoke` spawned as a user runs it, against an endpoint in
//! the test that speaks the invoke endpoint's documented wire
//! (`docs/design/invoke-endpoint.md`, Lambda's Invoke API): what it sends,
//! what it prints on stdout and stderr, its exit status, and its errors for
//! a port nothing listens on, bad JSON and an unknown example.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Output;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// A request the endpoint received: method, path and body.
type Seen = Arc<Mutex<Vec<(String, String, Vec<u8>, Option<String>)>>>;

/// Serves the documented wire on 127.0.0.1: an event whose body contains
/// `"fail"` is a function error with a breach and a log tail; any other is
/// echoed back; `/lambda-url/...` answers `404` with the path.
async fn endpoint() -> (SocketAddr, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let record = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let record = record.clone();
            let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let record = record.clone();
                async move {
                    let (parts, body) = request.into_parts();
                    let body = body.collect().await.unwrap().to_bytes();
                    let path = parts.uri.path_and_query().unwrap().to_string();
                    let tail = parts
                        .headers
                        .get("x-amz-log-type")
                        .map(|value| value.to_str().unwrap().to_owned());
                    record.lock().unwrap().push((
                        parts.method.to_string(),
                        path.clone(),
                        body.to_vec(),
                        tail,
                    ));
                    let reply = http::Response::builder()
                        .header("x-amz-request-id", "req-7")
                        .header(
                            "server-timing",
                            "init;dur=12.5, invoke;dur=3, total;dur=15.5",
                        );
                    let reply = if path.starts_with("/lambda-url/") {
                        reply.status(404).body(Full::new(Bytes::from(path)))
                    } else if body.windows(4).any(|w| w == b"fail") {
                        reply
                            .header("x-amz-function-error", "Unhandled")
                            .header("x-light-runtime-breach", "response posted twice")
                            .header("x-amz-log-result", "c3RhcnRpbmcKZmFpbGluZwo=")
                            .body(Full::new(Bytes::from_static(
                                br#"{"errorType":"OrderError","errorMessage":"order 7 is unknown"}"#,
                            )))
                    } else {
                        reply.body(Full::new(body))
                    };
                    Ok::<_, Infallible>(reply.unwrap())
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service),
            );
        }
    });
    (address, seen)
}

async fn invoke(args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"));
    command.arg("invoke").args(["--timeout", "20s"]).args(args);
    command.kill_on_drop(true);
    tokio::time::timeout(std::time::Duration::from_secs(30), command.output())
        .await
        .expect("invoke ends by itself")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn an_event_is_posted_and_its_answer_printed_with_the_timings() {
    let (address, seen) = endpoint().await;
    let port = address.port().to_string();
    let output = invoke(&["--port", &port, "--data", r#"{"order": 7}"#]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "{\"order\": 7}\n");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("request req-7"), "{stderr}");
    assert!(
        stderr.contains("init 12.5 ms · invoke 3.0 ms · total 15.5 ms"),
        "{stderr}"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "POST");
    assert_eq!(seen[0].1, "/2015-03-31/functions/_/invocations");
    assert_eq!(seen[0].2, br#"{"order": 7}"#);
    assert_eq!(seen[0].3, None, "no tail asked for");
}

#[tokio::test]
async fn a_function_error_is_on_stderr_with_a_failing_status_the_breach_and_the_tail() {
    let (address, seen) = endpoint().await;
    let port = address.port().to_string();
    let output = invoke(&[
        "--port",
        &port,
        "--function",
        "orders",
        "--data",
        r#""fail""#,
        "--tail",
    ])
    .await;
    assert!(!output.status.success());
    assert_eq!(text(&output.stdout), "", "no answer on stdout");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the function failed: OrderError: order 7 is unknown"),
        "{stderr}"
    );
    assert!(
        stderr.contains("contract breach: response posted twice"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--- log tail ---\nstarting\nfailing\n"),
        "{stderr}"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].1, "/2015-03-31/functions/orders/invocations");
    assert_eq!(seen[0].3.as_deref(), Some("Tail"));
}

#[tokio::test]
async fn an_example_event_is_sent_as_shipped() {
    let (address, seen) = endpoint().await;
    let port = address.port().to_string();
    let output = invoke(&["--port", &port, "--example", "sqs"]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let shipped = light_runtime_cli::invoke::examples::find("sqs")
        .unwrap()
        .json;
    assert_eq!(seen.lock().unwrap()[0].2, shipped.as_bytes());
    assert_eq!(text(&output.stdout).trim_end(), shipped.trim_end());
}

#[tokio::test]
async fn an_http_request_goes_to_the_function_url_path_and_its_status_is_its_answer() {
    let (address, seen) = endpoint().await;
    let port = address.port().to_string();
    let output = invoke(&[
        "--port",
        &port,
        "--http",
        "DELETE",
        "/orders/7?soft=1",
        "--data",
        "plain text",
    ])
    .await;
    assert!(
        output.status.success(),
        "an HTTP function's 404 is its answer"
    );
    assert_eq!(text(&output.stdout), "/lambda-url/_/orders/7?soft=1\n");
    assert!(text(&output.stderr).contains("HTTP 404 Not Found"));
    let seen = seen.lock().unwrap();
    assert_eq!(
        (seen[0].0.as_str(), seen[0].2.as_slice()),
        ("DELETE", &b"plain text"[..])
    );
}

#[tokio::test]
async fn nothing_listening_names_the_port_and_how_to_start_a_function() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port().to_string();
    drop(free);
    let output = invoke(&["--port", &port]).await;
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("nothing is listening on 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(
        stderr.contains("light-runtime emulate") && stderr.contains("light-runtime watch"),
        "{stderr}"
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let (address, seen) = endpoint().await;
    let port = address.port().to_string();
    let bad_json = invoke(&["--port", &port, "--data", "{\"order\": 7,}"]).await;
    assert!(!bad_json.status.success());
    let stderr = text(&bad_json.stderr);
    assert!(
        stderr.contains("--data is not valid JSON") && stderr.contains("line 1 column 13"),
        "{stderr}"
    );

    let unknown = invoke(&["--port", &port, "--example", "kafka"]).await;
    let stderr = text(&unknown.stderr);
    assert!(!unknown.status.success());
    assert!(
        stderr.contains("no example event called `kafka`") && stderr.contains("fc-oss"),
        "{stderr}"
    );

    let missing = invoke(&["--port", &port, "--file", "/nonexistent/event.json"]).await;
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("cannot read the event file /nonexistent/event.json"));
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn the_examples_are_listed() {
    let output = invoke(&["--list-examples"]).await;
    assert!(output.status.success());
    let listing = text(&output.stdout);
    for example in light_runtime_cli::invoke::examples::EXAMPLES {
        assert!(listing.contains(example.kind), "{listing}");
    }
    assert_eq!(listing.lines().count(), 15);
}
