//! The push-platform floor: a bare hyper HTTP/1.1 server on
//! `127.0.0.1:$PORT` answering every request with its own body, the bytes
//! the FC and plain-HTTP adapters answer for the echo function (plus the
//! `x-fc-status: 200` FC's answer carries). No lifecycle, no context, no
//! JSON: the least work serving the same exchange can take. `push-wrk`
//! compares the adapters against it in the same run.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

async fn echo(request: http::Request<Incoming>) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut response = http::Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert("x-fc-status", http::HeaderValue::from_static("200"));
    Ok(response)
}

// Single-threaded, like the echo function it is compared with.
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(echo);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
