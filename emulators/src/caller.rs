//! [`Caller`]: the platform side of a push contract (FC, plain HTTP, SCF
//! web functions, local): an HTTP/1.1 client on loopback with keep-alive
//! connections that records every exchange.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::lambda::RecordedCall;

/// What the function answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::recorded::header(&self.headers, name)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        crate::recorded::body_json(&self.body)
    }
}

/// One request the platform sent and the reply it got (the request's
/// `status` is the reply's).
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request as sent.
    pub request: RecordedCall,
    /// The reply.
    pub reply: Reply,
}

/// An HTTP client to a function's server on `127.0.0.1`, recording every
/// exchange. Cheap to clone; clones share connections and records.
#[derive(Clone)]
pub struct Caller {
    addr: SocketAddr,
    shared: Arc<CallerState>,
}

#[derive(Default)]
struct CallerState {
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
    exchanges: Mutex<Vec<Exchange>>,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// A port on `127.0.0.1` free right now, for a function server to listen on
/// (push platforms tell the function its port; the emulator must pick one).
pub fn free_port() -> io::Result<u16> {
    Ok(std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

impl Caller {
    /// A caller of the server at `127.0.0.1:port`.
    pub fn new(port: u16) -> Self {
        Caller {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            shared: Arc::default(),
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits up to `timeout` until the port accepts connections: the
    /// readiness probe FC and Knative use (a TCP connect, retried every
    /// 5 ms). `false` on timeout.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        let probe = async {
            loop {
                if TcpStream::connect(self.addr).await.is_ok() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(timeout, probe).await.is_ok()
    }

    /// Sends `request` and waits up to `timeout` for the whole reply. On
    /// timeout the connection is dropped (the platform gives up) and the
    /// error is `TimedOut`.
    pub async fn send(&self, request: Request<Bytes>, timeout: Duration) -> io::Result<Reply> {
        let recorded = record(&request);
        let exchange = tokio::time::timeout(timeout, self.exchange(request));
        let reply = exchange
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply in time"))??;
        let request = RecordedCall {
            status: reply.status,
            ..recorded
        };
        lock(&self.shared.exchanges).push(Exchange {
            request,
            reply: reply.clone(),
        });
        Ok(reply)
    }

    async fn exchange(&self, request: Request<Bytes>) -> io::Result<Reply> {
        let mut sender = self.connection().await?;
        let response = sender
            .send_request(request.map(Full::new))
            .await
            .map_err(io::Error::other)?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(io::Error::other)?.to_bytes();
        self.keep_idle(sender);
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body,
        })
    }

    /// Keeps `sender`'s connection for the next request, if it can take one.
    pub(crate) fn keep_idle(&self, sender: SendRequest<Full<Bytes>>) {
        if sender.is_ready() {
            lock(&self.shared.idle).push(sender);
        }
    }

    pub(crate) async fn connection(&self) -> io::Result<SendRequest<Full<Bytes>>> {
        loop {
            let idle = lock(&self.shared.idle).pop();
            match idle {
                Some(sender) if sender.is_ready() => return Ok(sender),
                Some(_) => continue,
                None => break,
            }
        }
        let stream = TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(io::Error::other)?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Sends every request, at most `parallel` at a time, each waiting up
    /// to `timeout`; the replies come back in the order of `requests`.
    pub async fn send_all(
        &self,
        requests: Vec<Request<Bytes>>,
        parallel: usize,
        timeout: Duration,
    ) -> Vec<io::Result<Reply>> {
        let permits = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        let total = requests.len();
        for (index, request) in requests.into_iter().enumerate() {
            let (caller, permits) = (self.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                (index, caller.send(request, timeout).await)
            });
        }
        let mut replies: Vec<Option<io::Result<Reply>>> = (0..total).map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, reply)) => replies[index] = Some(reply),
                Err(error) => propagate_panic(error),
            }
        }
        replies
            .into_iter()
            .map(|reply| reply.unwrap_or_else(|| Err(io::Error::other("the send task was lost"))))
            .collect()
    }

    /// Every exchange so far, in the order the replies came.
    pub fn exchanges(&self) -> Vec<Exchange> {
        lock(&self.shared.exchanges).clone()
    }

    /// How many exchanges had a request path equal to `path`.
    pub fn count(&self, path: &str) -> usize {
        lock(&self.shared.exchanges)
            .iter()
            .filter(|e| e.request.path == path)
            .count()
    }

    /// Forgets the recorded exchanges (long runs that only count).
    pub fn clear(&self) {
        lock(&self.shared.exchanges).clear();
    }
}

fn record(request: &Request<Bytes>) -> RecordedCall {
    RecordedCall {
        method: request.method().as_str().to_owned(),
        path: request.uri().path().to_owned(),
        headers: request
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: request.body().clone(),
        status: 0,
    }
}

/// Re-raises the panic of a send task in the caller.
fn propagate_panic(error: tokio::task::JoinError) {
    if error.is_panic() {
        std::panic::resume_unwind(error.into_panic());
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
