//! [`HostileClient`]: an HTTP client that misbehaves on purpose, over raw
//! TCP to a function's push server on `127.0.0.1`: bodies trickled a few
//! bytes at a time, bodies that stop mid-way and close, heads and bodies
//! over any limit, garbage request lines. Every wait is bounded.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// How long any one wait of the client lasts unless told otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// What the server sent back on a hostile connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawReply {
    /// The status of the first response, if one came.
    pub status: Option<u16>,
    /// Its headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Its body (as far as `Content-Length` says, or to the close).
    pub body: Vec<u8>,
}

impl RawReply {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::recorded::header(&self.headers, name)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        crate::recorded::body_json(&self.body)
    }
}

/// A misbehaving HTTP client of one server.
#[derive(Debug, Clone, Copy)]
pub struct HostileClient {
    addr: SocketAddr,
    wait: Duration,
}

/// A request whose body is being trickled in the background; dropping it
/// stops the trickle.
#[derive(Debug)]
pub struct Trickle {
    reader: OwnedReadHalf,
    sender: JoinHandle<()>,
    wait: Duration,
}

/// The head of a `POST` to `path` with `headers` and a `Content-Length` of
/// `content_length`.
pub fn post_head(path: &str, headers: &[(&str, &str)], content_length: usize) -> String {
    let mut head = format!("POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {content_length}\r\n\r\n"));
    head
}

/// The head of `request` (its method, path and headers, as an emulator
/// builds them) with a `Content-Length` of `content_length`.
pub fn head_for<B>(request: &http::Request<B>, content_length: usize) -> String {
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut head = format!(
        "{} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n",
        request.method()
    );
    for (name, value) in request.headers() {
        if name == http::header::CONTENT_LENGTH || name == http::header::HOST {
            continue;
        }
        head.push_str(&format!(
            "{name}: {}\r\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    head.push_str(&format!("content-length: {content_length}\r\n\r\n"));
    head
}

impl HostileClient {
    /// A client of the server on `addr`, each wait at most [`DEFAULT_WAIT`].
    pub fn new(addr: SocketAddr) -> Self {
        HostileClient {
            addr,
            wait: DEFAULT_WAIT,
        }
    }

    /// Bounds each wait by `wait` instead.
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    async fn connect(&self) -> io::Result<TcpStream> {
        let stream = timeout(self.wait, TcpStream::connect(self.addr))
            .await
            .map_err(|_| timed_out("connect"))??;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    /// Sends `head` at once, then `body_len` bytes of body, `chunk` bytes
    /// every `interval`, in the background until all is sent or the server
    /// stops reading. The body is JSON-looking filler (`"xxx…"`).
    pub async fn trickle(
        &self,
        head: &str,
        body_len: usize,
        chunk: usize,
        interval: Duration,
    ) -> io::Result<Trickle> {
        let stream = self.connect().await?;
        let (reader, mut writer) = stream.into_split();
        writer.write_all(head.as_bytes()).await?;
        let body = filler(body_len);
        let sender = tokio::spawn(async move {
            for piece in body.chunks(chunk.max(1)) {
                tokio::time::sleep(interval).await;
                if writer.write_all(piece).await.is_err() {
                    break;
                }
            }
            // Keep the write side open: the client is slow, not gone.
            std::future::pending::<()>().await;
        });
        Ok(Trickle {
            reader,
            sender,
            wait: self.wait,
        })
    }

    /// Sends `bytes` as they are and reads what comes back until the
    /// server closes or a whole response came.
    pub async fn send_raw(&self, bytes: &[u8]) -> io::Result<RawReply> {
        let mut stream = self.connect().await?;
        stream.write_all(bytes).await?;
        read_reply(&mut stream, self.wait).await
    }

    /// A request line that is not HTTP.
    pub async fn garbage_request_line(&self) -> io::Result<RawReply> {
        self.send_raw(b"\x16\x03\x01 GIVE ME \x00 EVERYTHING\r\n\r\n")
            .await
    }

    /// A `POST` whose head carries `size` bytes of headers.
    pub async fn oversized_head(&self, path: &str, size: usize) -> io::Result<RawReply> {
        let filler = "a".repeat(size);
        let head = post_head(path, &[("x-padding", &filler)], 2);
        let mut request = head.into_bytes();
        request.extend_from_slice(b"{}");
        self.send_raw(&request).await
    }

    /// A `POST` of `body_len` bytes with `headers`, written while the reply
    /// is read, so a server that answers before reading it all is heard.
    pub async fn oversized_body(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body_len: usize,
    ) -> io::Result<RawReply> {
        let stream = self.connect().await?;
        let (mut reader, mut writer) = stream.into_split();
        let mut request = post_head(path, headers, body_len).into_bytes();
        request.extend_from_slice(&filler(body_len));
        let writing = tokio::spawn(async move {
            // The server may close early; that is its right.
            let _ = writer.write_all(&request).await;
            writer
        });
        let reply = read_reply(&mut reader, self.wait).await;
        writing.abort();
        reply
    }

    /// A `POST` announcing `declared` body bytes that sends only `sent` of
    /// them and closes; returns once the server closed its side too (or
    /// the wait ran out), with whatever it sent.
    pub async fn close_mid_body(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        declared: usize,
        sent: usize,
    ) -> io::Result<RawReply> {
        let mut stream = self.connect().await?;
        let mut request = post_head(path, headers, declared).into_bytes();
        request.extend_from_slice(&filler(sent.min(declared)));
        stream.write_all(&request).await?;
        stream.shutdown().await?;
        read_reply(&mut stream, self.wait).await
    }
}

impl Trickle {
    /// Waits (bounded) for the server's answer to the trickled request, or
    /// its close, while the trickle goes on; then stops trickling.
    pub async fn reply(mut self) -> io::Result<RawReply> {
        read_reply(&mut self.reader, self.wait).await
    }
}

impl Drop for Trickle {
    fn drop(&mut self) {
        self.sender.abort();
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

/// `n` bytes of a JSON string: `"xxx…x"`.
fn filler(n: usize) -> Vec<u8> {
    let mut body = vec![b'x'; n];
    if n >= 2 {
        body[0] = b'"';
        body[n - 1] = b'"';
    }
    body
}

/// Reads one response (head and `Content-Length` body) or until close,
/// at most `wait` in all.
async fn read_reply<R: AsyncReadExt + Unpin>(
    reader: &mut R,
    wait: Duration,
) -> io::Result<RawReply> {
    let mut received = Vec::new();
    let reading = async {
        let mut buffer = [0u8; 8192];
        loop {
            if let Some(reply) = parse(&received) {
                return Ok(reply);
            }
            match reader.read(&mut buffer).await {
                Ok(0) => return Ok(parse_at_close(&received)),
                Ok(n) => received.extend_from_slice(&buffer[..n]),
                // A reset after the server answered still counts what came.
                Err(_) if !received.is_empty() => return Ok(parse_at_close(&received)),
                Err(error) if error.kind() == io::ErrorKind::ConnectionReset => {
                    return Ok(RawReply::default())
                }
                Err(error) => return Err(error),
            }
        }
    };
    match timeout(wait, reading).await {
        Ok(result) => result,
        Err(_) => Err(timed_out("reading the reply")),
    }
}

/// A whole response in `received`, if there is one.
fn parse(received: &[u8]) -> Option<RawReply> {
    let (end, mut reply) = head(received)?;
    let length: usize = reply.header("content-length")?.parse().ok()?;
    let body = &received[end..];
    if body.len() < length {
        return None;
    }
    reply.body = body[..length].to_vec();
    Some(reply)
}

/// What came before the server closed.
fn parse_at_close(received: &[u8]) -> RawReply {
    match head(received) {
        Some((end, mut reply)) => {
            reply.body = received[end..].to_vec();
            reply
        }
        None => RawReply::default(),
    }
}

/// The response head at the start of `received` and where it ends, once it
/// is whole; header names lowercased.
fn head(received: &[u8]) -> Option<(usize, RawReply)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(end) = response.parse(received).ok()? else {
        return None;
    };
    let headers = response
        .headers
        .iter()
        .map(|h| {
            let value = String::from_utf8_lossy(h.value).trim().to_owned();
            (h.name.to_ascii_lowercase(), value)
        })
        .collect();
    let reply = RawReply {
        status: response.code,
        headers,
        body: Vec::new(),
    };
    Some((end, reply))
}
