//! [`HostileRuntimeApi`]: a pull runtime API (Lambda's `/2018-06-01` paths,
//! SCF's `/runtime/...` paths) that misbehaves on script, speaking raw bytes
//! over loopback so that it can do what no well-behaved server does: stall,
//! close mid-body or right after reading a post, answer 5xx, send oversized
//! heads and bodies, too many headers, request ids with path characters.
//!
//! Each kind of call has its own queue of [`Reply`]s, taken one per call:
//! `next`, posts (`response`, `error`, `init/error`, `init/ready`) and
//! extension registration. An empty queue behaves: `next` waits for a
//! reply to be queued (no work yet), a post gets `202 {"status":"OK"}`, a registration `200` with an
//! identifier; an extension's `event/next` always waits. Every request
//! read whole is recorded ([`Received`]; a chunked body, as a streamed
//! response is sent, with its chunks joined), and every wait is bounded.
//!
//! ```
//! use std::time::Duration;
//! use light_runtime_testkit::hostile_api::{HostileRuntimeApi, Reply};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let api = HostileRuntimeApi::start().await.unwrap();
//! api.on_next(Reply::event("req-1", "{}"));
//! api.on_post(Reply::Status(500));
//! // ... run a runtime with AWS_LAMBDA_RUNTIME_API = api.runtime_api() ...
//! assert!(!api.wait_until(Duration::from_millis(10), |got| !got.is_empty()).await);
//! # });
//! ```

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The longest a request may take to arrive once it has begun, so that a
/// runtime that stops mid-request does not hold a server task forever.
const REQUEST_READ_LIMIT: Duration = Duration::from_secs(30);
/// Largest request accepted (a Lambda response is at most 6 MiB + 100).
const MAX_REQUEST: usize = 32 * 1024 * 1024;

/// What the API does with one call.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Writes these bytes verbatim and goes on serving the connection.
    Raw(Vec<u8>),
    /// Writes these bytes verbatim, then closes the connection.
    RawThenClose(Vec<u8>),
    /// Answers `status` with a JSON error body.
    Status(u16),
    /// Reads the request whole and never answers (the connection is held
    /// until the API stops).
    Stall,
    /// Reads the request whole, then closes without answering.
    CloseAfterRead,
}

impl Reply {
    /// A Lambda `next` answer: `200`, `Lambda-Runtime-Aws-Request-Id: id`,
    /// a deadline 3 s away, an ARN, and `body`.
    pub fn event(id: &str, body: impl AsRef<[u8]>) -> Reply {
        let body = body.as_ref();
        Reply::Raw(
            lambda_head(id, &[], body.len())
                .into_iter()
                .chain(body.iter().copied())
                .collect(),
        )
    }

    /// Like [`Reply::event`], then the connection closes: the runtime's
    /// kept connection is stale by the time it posts.
    pub fn event_then_close(id: &str, body: impl AsRef<[u8]>) -> Reply {
        match Reply::event(id, body) {
            Reply::Raw(bytes) => Reply::RawThenClose(bytes),
            other => other,
        }
    }

    /// A Lambda `next` answer with `extra` headers after the request id
    /// (too many headers, or a head over a size limit with the id still in
    /// its first bytes).
    pub fn event_with_headers(id: &str, extra: &[(String, String)], body: &str) -> Reply {
        let mut bytes = lambda_head(id, extra, body.len());
        bytes.extend_from_slice(body.as_bytes());
        Reply::Raw(bytes)
    }

    /// A Lambda `next` answer whose head declares `content_length` bytes
    /// but of which only `sent` (zeros) follow; the connection then stays
    /// open (`close: false`) or closes (`close: true`, "closed mid-body").
    pub fn event_cut(id: &str, content_length: usize, sent: usize, close: bool) -> Reply {
        let mut bytes = lambda_head(id, &[], content_length);
        bytes.resize(bytes.len() + sent, b'0');
        if close {
            Reply::RawThenClose(bytes)
        } else {
            Reply::Raw(bytes)
        }
    }

    /// An SCF `next` answer: `200`, `request_id`, a memory and time limit,
    /// and `body`.
    pub fn scf_event(id: &str, body: &str) -> Reply {
        Reply::Raw(
            format!(
                "HTTP/1.1 200 OK\r\nrequest_id: {id}\r\nmemory_limit_in_mb: 128\r\n\
                 time_limit_in_ms: 3000\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }
}

/// A Lambda `next` head for `id`, `extra` headers after the id.
fn lambda_head(id: &str, extra: &[(String, String)], content_length: usize) -> Vec<u8> {
    let deadline = SystemTime::now() + Duration::from_secs(3);
    let deadline_ms = deadline
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut head = format!(
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n\
         Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n\
         Lambda-Runtime-Invoked-Function-Arn: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {content_length}\r\n",
        crate::lambda::DEFAULT_FUNCTION_ARN
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// One request the API read whole.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET` or `POST`.
    pub method: String,
    /// The request target exactly as sent.
    pub path: String,
    /// Every header, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// When it was read.
    pub at: Instant,
}

impl Received {
    /// The first header named `name`, any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON, if it is.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Which queue a call takes its reply from.
#[derive(Clone, Copy)]
enum Route {
    Next,
    Post,
    Register,
    ExtensionNext,
    Unknown,
}

#[derive(Default)]
struct Script {
    next: VecDeque<Reply>,
    post: VecDeque<Reply>,
    register: VecDeque<Reply>,
    received: Vec<Received>,
}

struct ApiState {
    script: Mutex<Script>,
    /// Told when a `next` reply is queued.
    next_queued: tokio::sync::Notify,
    stopped: watch::Sender<bool>,
}

impl ApiState {
    fn lock(&self) -> MutexGuard<'_, Script> {
        self.script
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A misbehaving runtime API on `127.0.0.1`; see the module docs.
/// Dropping it stops it: open connections close, new ones are refused.
pub struct HostileRuntimeApi {
    addr: SocketAddr,
    shared: Arc<ApiState>,
}

impl std::fmt::Debug for HostileRuntimeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostileRuntimeApi")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl HostileRuntimeApi {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime.
    pub async fn start() -> std::io::Result<HostileRuntimeApi> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(ApiState {
            script: Mutex::default(),
            next_queued: tokio::sync::Notify::new(),
            stopped: watch::channel(false).0,
        });
        tokio::spawn(accept(listener, shared.clone()));
        Ok(HostileRuntimeApi { addr, shared })
    }

    /// `host:port`, for `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues the reply to a later runtime `next` (Lambda or SCF).
    pub fn on_next(&self, reply: Reply) {
        self.shared.lock().next.push_back(reply);
        self.shared.next_queued.notify_waiters();
    }

    /// Queues the reply to a later post (`response`, `error`, `init/error`,
    /// `init/ready`).
    pub fn on_post(&self, reply: Reply) {
        self.shared.lock().post.push_back(reply);
    }

    /// Queues the reply to a later extension registration.
    pub fn on_register(&self, reply: Reply) {
        self.shared.lock().register.push_back(reply);
    }

    /// Every request read whole so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().received.clone()
    }

    /// The posts among them, extension registrations left out.
    pub fn posts(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.method == "POST" && !r.path.contains("/extension/"))
            .collect()
    }

    /// Waits up to `timeout` until `done` holds for what was received;
    /// `false` on timeout.
    pub async fn wait_until(&self, timeout: Duration, done: impl Fn(&[Received]) -> bool) -> bool {
        let until = Instant::now() + timeout;
        loop {
            if done(&self.shared.lock().received) {
                return true;
            }
            if Instant::now() >= until {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops serving: open connections close, the listener closes.
    pub fn stop(&self) {
        self.shared.stopped.send_replace(true);
    }
}

impl Drop for HostileRuntimeApi {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept(listener: TcpListener, shared: Arc<ApiState>) {
    let mut stopped = shared.stopped.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => { tokio::spawn(serve(stream, shared.clone())); }
                Err(_) => return,
            },
            _ = stopped.wait_for(|stop| *stop) => return,
        }
    }
}

/// Serves one connection until it closes, a reply closes it, or the API stops.
async fn serve(mut stream: TcpStream, shared: Arc<ApiState>) {
    let mut stopped = shared.stopped.subscribe();
    let mut buffer = Vec::new();
    loop {
        let request = tokio::select! {
            request = read_request(&mut stream, &mut buffer) => request,
            _ = stopped.wait_for(|stop| *stop) => return,
        };
        let Some(request) = request else { return };
        let route = route(&request);
        let reply = {
            let mut script = shared.lock();
            script.received.push(request);
            match route {
                Route::Next => None,
                Route::Post => Some(script.post.pop_front().unwrap_or_else(accepted)),
                Route::Register => Some(script.register.pop_front().unwrap_or_else(registered)),
                Route::ExtensionNext => Some(Reply::Stall),
                Route::Unknown => Some(Reply::Status(404)),
            }
        };
        let reply = match reply {
            Some(reply) => reply,
            None => {
                let queued = async {
                    loop {
                        let notified = shared.next_queued.notified();
                        if let Some(reply) = shared.lock().next.pop_front() {
                            return reply;
                        }
                        notified.await;
                    }
                };
                tokio::select! {
                    reply = queued => reply,
                    _ = stopped.wait_for(|stop| *stop) => return,
                }
            }
        };
        let written = match reply {
            Reply::Raw(bytes) => stream.write_all(&bytes).await,
            Reply::RawThenClose(bytes) => {
                let _ = stream.write_all(&bytes).await;
                return;
            }
            Reply::Status(status) => stream.write_all(&status_response(status)).await,
            Reply::Stall => {
                let _ = stopped.wait_for(|stop| *stop).await;
                return;
            }
            Reply::CloseAfterRead => return,
        };
        if written.is_err() {
            return;
        }
    }
}

fn route(request: &Received) -> Route {
    let path = request.path.as_str();
    match request.method.as_str() {
        "GET" if path.contains("/extension/event/next") => Route::ExtensionNext,
        "GET" if path.ends_with("/invocation/next") => Route::Next,
        "POST" if path.ends_with("/extension/register") => Route::Register,
        "POST" => Route::Post,
        _ => Route::Unknown,
    }
}

fn accepted() -> Reply {
    Reply::Raw(
        b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}"
            .to_vec(),
    )
}

fn registered() -> Reply {
    Reply::Raw(
        b"HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: hostile-extension-id\r\n\
          Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
            .to_vec(),
    )
}

fn status_response(status: u16) -> Vec<u8> {
    let body =
        format!(r#"{{"errorMessage":"scripted status {status}","errorType":"Scripted.Failure"}}"#);
    format!(
        "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one request whole; `None` when the connection closes, breaks,
/// sends garbage or takes longer than [`REQUEST_READ_LIMIT`] once begun.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Received> {
    let mut started: Option<Instant> = None;
    loop {
        if let Some(request) = parse_request(buffer)? {
            return Some(request);
        }
        if buffer.len() > MAX_REQUEST {
            return None;
        }
        let begun = *started.get_or_insert_with(Instant::now);
        let left = REQUEST_READ_LIMIT.checked_sub(begun.elapsed())?;
        let mut chunk = [0u8; 16 * 1024];
        let n = if buffer.is_empty() {
            // Idle keep-alive: wait as long as the runtime likes.
            started = None;
            stream.read(&mut chunk).await.ok()?
        } else {
            tokio::time::timeout(left, stream.read(&mut chunk))
                .await
                .ok()?
                .ok()?
        };
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// `Some(None)`: more bytes needed; `None`: not HTTP.
fn parse_request(buffer: &mut Vec<u8>) -> Option<Option<Received>> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    let head_len = match parsed.parse(buffer).ok()? {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial => return Some(None),
    };
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    let (body, length) = if chunked {
        // A streamed response: the chunks joined, the trailers dropped.
        match dechunk(&buffer[head_len..])? {
            Some(dechunked) => dechunked,
            None => return Some(None),
        }
    } else {
        let length = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .map_or(Some(0), |(_, value)| value.trim().parse::<usize>().ok())?;
        if buffer.len() < head_len + length {
            return Some(None);
        }
        (buffer[head_len..head_len + length].to_vec(), length)
    };
    let request = Received {
        method: parsed.method?.to_owned(),
        path: parsed.path?.to_owned(),
        headers,
        body,
        at: Instant::now(),
    };
    buffer.drain(..head_len + length);
    Some(Some(request))
}

/// A whole chunked body's data and the bytes it took (`Some(None)`: more
/// bytes needed; `None`: not a chunked body).
fn dechunk(mut input: &[u8]) -> Option<Option<(Vec<u8>, usize)>> {
    let total = input.len();
    let mut body = Vec::new();
    let line = |input: &[u8]| input.windows(2).position(|w| w == b"\r\n");
    loop {
        let Some(end) = line(input) else {
            return Some(None);
        };
        let size = std::str::from_utf8(&input[..end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        input = &input[end + 2..];
        if size == 0 {
            // Trailers, each a line, then an empty line.
            loop {
                let Some(end) = line(input) else {
                    return Some(None);
                };
                input = &input[end + 2..];
                if end == 0 {
                    return Some(Some((body, total - input.len())));
                }
            }
        }
        if input.len() < size.checked_add(2)? {
            return Some(None);
        }
        body.extend_from_slice(&input[..size]);
        input = &input[size + 2..];
    }
}
