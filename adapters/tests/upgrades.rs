//! Upgrades (websockets) through a push server: the function answers `101`
//! and takes the connection over with hyper's `OnUpgrade`, which the
//! adapter leaves in the request's extensions.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use light_runtime_adapters::http::PlainHttp;
use light_runtime_adapters::{Adapter, BoxPipeline};
use runtime_engine::{
    BoxError, Budgets, CancellationToken, Environment, FunctionInfo, Invocation, Lifecycle,
    Outcome, Platform, Response,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// Answers an upgrade request with `101` and echoes the upgraded bytes
/// back; any other request with `400`.
async fn echo_upgrade(invocation: Invocation) -> Result<Outcome, BoxError> {
    let upgrade = invocation
        .context
        .http_request()
        .and_then(|parts| parts.extensions.get::<OnUpgrade>())
        .cloned();
    let Some(upgrade) = upgrade else {
        let mut refused = http::Response::new(Bytes::from_static(b"not an upgrade"));
        *refused.status_mut() = http::StatusCode::BAD_REQUEST;
        return Ok(Outcome::Response(Response::from_http(refused)));
    };
    tokio::spawn(async move {
        if let Ok(upgraded) = upgrade.await {
            let mut io = TokioIo::new(upgraded);
            let mut buffer = [0u8; 64];
            while let Ok(n) = io.read(&mut buffer).await {
                if n == 0 || io.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
            }
        }
    });
    let switching = http::Response::builder()
        .status(http::StatusCode::SWITCHING_PROTOCOLS)
        .header("connection", "upgrade")
        .header("upgrade", "echo")
        .body(Bytes::new())?;
    Ok(Outcome::Response(Response::from_http(switching)))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn connect(port: u16) -> TcpStream {
    let started = tokio::time::Instant::now();
    loop {
        match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(stream) => return stream,
            Err(_) if started.elapsed() < WAIT => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => panic!("the server never listened on {port}: {error}"),
        }
    }
}

/// Reads until the end of a response head.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = timeout(WAIT, stream.read(&mut byte))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1, "closed before the end of the head: {head:?}");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

#[tokio::test]
async fn plain_http_passes_an_upgrade_to_the_function_that_answers_101() {
    let port = free_port();
    let env = Environment::from_vars([
        ("PORT", port.to_string()),
        ("LIGHT_RUNTIME_LISTEN_HOST", "127.0.0.1".to_owned()),
    ]);
    let function = FunctionInfo::new(Platform::Http, "upgrades");
    let lifecycle = Arc::new(Lifecycle::new(function, Vec::new(), Budgets::default()));
    let pipeline = BoxPipeline::new(tower::service_fn(echo_upgrade));
    let shutdown = CancellationToken::new();
    let server = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move { PlainHttp.run(lifecycle, pipeline, shutdown, &env).await })
    };

    let mut stream = connect(port).await;
    stream
        .write_all(
            b"GET /echo HTTP/1.1\r\nhost: test\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n",
        )
        .await
        .unwrap();
    let head = read_head(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("upgrade: echo"),
        "{head}"
    );
    for message in [&b"ping"[..], b"and pong"] {
        stream.write_all(message).await.unwrap();
        let mut echoed = vec![0u8; message.len()];
        timeout(WAIT, stream.read_exact(&mut echoed))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(echoed, message);
    }

    // A request that asks for no upgrade is an ordinary invocation.
    let mut plain = connect(port).await;
    plain
        .write_all(b"GET /echo HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let head = read_head(&mut plain).await;
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");

    shutdown.cancel();
    timeout(WAIT, server).await.unwrap().unwrap().unwrap();
}
