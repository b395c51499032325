//! The relay's listener: each signed invocation from a cloud instance is
//! checked, run on the local build and answered, signed; anything else is
//! refused (`401`) and logged. One HTTP/1.1 keep-alive connection per
//! instance; the answer to an invocation is the response to its POST.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use light_runtime::layers::relay::signature::{Direction, Secret, SIGNATURE_HEADER};
use light_runtime::layers::relay::wire::{RelayedAnswer, RelayedInvocation, INVOCATIONS_PATH};
use tokio::net::TcpListener;

use super::local::LocalFunction;
use super::replay_guard::ReplayGuard;

/// The largest invocation accepted: Lambda's 6 MB payload, base64, and
/// the envelope.
const MAX_INVOCATION: usize = 9 * 1024 * 1024;

/// What every connection shares.
#[derive(Debug)]
pub struct RelayServer {
    secret: Secret,
    local: LocalFunction,
    replays: ReplayGuard,
}

type Reply = http::Response<Full<Bytes>>;

impl RelayServer {
    /// A server answering with `local`, checking with `secret`.
    pub fn new(secret: Secret, local: LocalFunction) -> Arc<Self> {
        Arc::new(RelayServer {
            secret,
            local,
            replays: ReplayGuard::default(),
        })
    }

    /// Serves `listener` until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    eprintln!("relay: accept failed: {error}");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let server = self.clone();
            let service = service_fn(move |request| {
                let server = server.clone();
                async move { Ok::<_, Infallible>(server.handle(peer, request).await) }
            });
            tokio::spawn(async move {
                if let Err(error) = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    eprintln!("relay: connection from {peer} ended: {error}");
                }
            });
        }
    }

    /// The local build, to stop it on the way out.
    pub fn local(&self) -> &LocalFunction {
        &self.local
    }

    async fn handle(&self, peer: SocketAddr, request: http::Request<Incoming>) -> Reply {
        let (parts, body) = request.into_parts();
        if parts.method != http::Method::POST || !parts.uri.path().ends_with(INVOCATIONS_PATH) {
            return refuse(
                peer,
                404,
                &format!("no such path: {} {}", parts.method, parts.uri.path()),
            );
        }
        let body = match Limited::new(body, MAX_INVOCATION).collect().await {
            Ok(body) => body.to_bytes(),
            Err(error) => {
                return refuse(
                    peer,
                    413,
                    &format!("the invocation could not be read: {error}"),
                )
            }
        };
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        let request_id = match self.secret.verify(Direction::Invocation, header, &body) {
            Ok(request_id) => request_id,
            Err(rejection) => return refuse(peer, 401, &format!("refused: {rejection}")),
        };
        if !self
            .replays
            .first_time(header(SIGNATURE_HEADER).unwrap_or_default())
        {
            return refuse(
                peer,
                401,
                &format!("refused {request_id}: a replay of a message already relayed"),
            );
        }
        let invocation: RelayedInvocation = match serde_json::from_slice(&body) {
            Ok(invocation) => invocation,
            Err(error) => {
                return refuse(
                    peer,
                    400,
                    &format!("{request_id}: not an invocation: {error}"),
                )
            }
        };
        if invocation.request_id != request_id {
            return refuse(
                peer,
                400,
                &format!("{request_id}: signed for another request id than its body's"),
            );
        }
        println!(
            "relay: {} from {peer}: {} on {}, {} B, {} ms to answer",
            invocation.request_id,
            invocation.function_name,
            invocation.platform,
            invocation.event.len() / 4 * 3,
            invocation.deadline_ms
        );
        let started = Instant::now();
        let answer = self.local.invoke(&invocation).await;
        let took = started.elapsed().as_secs_f64() * 1000.0;
        match &answer {
            RelayedAnswer::Response { .. } => {
                println!("relay: {} answered in {took:.1} ms", invocation.request_id)
            }
            RelayedAnswer::Error {
                error_type,
                error_message,
            } => println!(
                "relay: {} failed in {took:.1} ms: {error_type}: {error_message}",
                invocation.request_id
            ),
        }
        let body = serde_json::to_vec(&answer).expect("the answer serialises");
        let mut reply =
            http::Response::builder().header(http::header::CONTENT_TYPE, "application/json");
        for (name, value) in self.secret.sign(Direction::Answer, &request_id, &body) {
            reply = reply.header(name, value);
        }
        reply
            .body(Full::new(Bytes::from(body)))
            .expect("a valid reply")
    }
}

/// Logs why a request from `peer` was refused and answers it, unsigned.
fn refuse(peer: SocketAddr, status: u16, why: &str) -> Reply {
    eprintln!("relay: {status} to {peer}: {why}");
    http::Response::builder()
        .status(status)
        .body(Full::new(Bytes::from(why.to_owned())))
        .expect("a valid reply")
}
