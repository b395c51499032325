//! The local adapter as a developer uses it: POST an event, read the answer.

use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Phase, Runtime};
use light_runtime_testkit::recording::RecordingHook;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);

/// Sends one HTTP/1.1 request and returns (status, headers+body text).
async fn send(port: u16, method: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "{method} /invoke HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut text = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut text))
        .await
        .expect("answer in time")
        .unwrap();
    let status = text[9..12].parse().unwrap();
    (status, text)
}

fn body_json(text: &str) -> Value {
    serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap()
}

#[tokio::test]
async fn the_local_server_runs_the_function_with_its_lifecycle() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = Environment::from_vars([
        ("PORT", port.to_string()),
        ("LIGHT_RUNTIME_FUNCTION_NAME", "greeter".to_owned()),
    ]);
    let hook = RecordingHook::new("recorder");
    let shutdown = CancellationToken::new();
    let runtime = Runtime::builder().with_environment(env).hook(hook.clone()).run_until(
        |event: Value, ctx: Context| async move {
            match event["name"].as_str() {
                Some(name) => Ok(json!({"hello": name, "function": ctx.function_name(), "platform": ctx.platform().short_name()})),
                None => Err(Error::with_type("Greeter.NoName", "`name` is missing")),
            }
        },
        shutdown.clone(),
    );
    let task = tokio::spawn(runtime);

    // The server is up once it answers; retry the connect for a bounded time.
    let mut up = false;
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(up, "local server listening on {port}");

    let (status, text) = send(port, "POST", r#"{"name":"Ada"}"#).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        body_json(&text),
        json!({"hello": "Ada", "function": "greeter", "platform": "local"})
    );

    let (status, text) = send(port, "POST", r#"{"nom":"Ada"}"#).await;
    assert_eq!(status, 500, "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("x-light-runtime-error-type: greeter.noname"),
        "{text}"
    );
    assert_eq!(body_json(&text)["errorMessage"], "`name` is missing");

    let (status, text) = send(port, "POST", r#"{"name": "#).await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(body_json(&text)["errorType"], "Runtime.MalformedEvent");

    let (status, text) = send(port, "GET", "").await;
    assert_eq!(status, 405);
    assert!(text.contains("function `greeter` is running"), "{text}");

    light_runtime_testkit::stop_runtime(&shutdown, task).await;
    let phases = hook.phases();
    assert_eq!(phases[..2], [Phase::RuntimeStart, Phase::FunctionStart]);
    assert_eq!(
        phases.iter().filter(|p| **p == Phase::BeforeInvoke).count(),
        3
    );
    assert_eq!(phases[phases.len() - 2..], [Phase::Close, Phase::End]);
}
