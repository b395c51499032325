//! Sending one request to the invoke endpoint over a fresh connection.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use super::answer::Answer;

/// What to send where.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    /// The endpoint's host (an IP address or a name).
    pub host: String,
    /// The endpoint's port.
    pub port: u16,
    /// The method: `POST` for an event, any for an HTTP invocation.
    pub method: http::Method,
    /// The path and query.
    pub path: String,
    /// The body: the event, or the HTTP request's body.
    pub body: Vec<u8>,
    /// Extra headers (`X-Amz-Log-Type: Tail`, an HTTP request's own).
    pub headers: Vec<(String, String)>,
    /// How long to wait for the answer.
    pub timeout: Duration,
}

/// Sends `request` and reads the answer; the error says what went wrong
/// and, when nothing listens, how to start something that does.
pub async fn send(request: InvokeRequest) -> Result<Answer, String> {
    let address = format!("{}:{}", request.host, request.port);
    let stream = tokio::net::TcpStream::connect(&address)
        .await
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::ConnectionRefused => format!(
                "nothing is listening on {address} ({error}): start a function there with \
                 `light-runtime emulate --port {} -- BOOTSTRAP` or `light-runtime watch` \
                 (or `cargo lambda watch`), or pass the port it serves with --port",
                request.port
            ),
            _ => format!("cannot connect to the invoke endpoint {address}: {error}"),
        })?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| format!("cannot talk HTTP to {address}: {error}"))?;
    let driver = tokio::spawn(connection);
    let mut builder = http::Request::builder()
        .method(request.method.clone())
        .uri(&request.path)
        .header(http::header::HOST, &address)
        .header(http::header::CONTENT_TYPE, "application/json");
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let outgoing = builder
        .body(Full::new(Bytes::from(request.body)))
        .map_err(|error| format!("cannot build the request {}: {error}", request.path))?;
    let exchange = async {
        let reply = sender.send_request(outgoing).await?;
        let (parts, body) = reply.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok::<_, hyper::Error>((parts, body))
    };
    let outcome = tokio::time::timeout(request.timeout, exchange).await;
    driver.abort();
    let (parts, body) = outcome
        .map_err(|_| {
            format!(
                "no answer from {address} within {} (raise it with --timeout)",
                humantime::format_duration(request.timeout)
            )
        })?
        .map_err(|error| format!("the invoke endpoint {address} failed mid-answer: {error}"))?;
    Ok(Answer::from_reply(parts.status, &parts.headers, body))
}
