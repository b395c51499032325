//! [`Connection`]: one keep-alive HTTP/1.1 client connection, to a pull
//! runtime API (AWS Lambda, Tencent SCF) or, from the telemetry layers, to an
//! OTLP/HTTP collector.
//!
//! Hand-written on purpose: both are per-invocation hot paths (a runtime
//! API exchange per invocation, an OTLP export per `Freeze`), and both need
//! only fixed requests and `Content-Length` or chunked responses. Parsing is `httparse`; the response head and body are slices
//! of the read buffer, handed to the invocation without a copy. See
//! `docs/design/runtime-api-client.md` for the measurement behind it.

use std::io;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Headers we look at on a response; the Runtime API sends well under this.
const MAX_HEADERS: usize = 32;
/// Largest header block accepted, to bound memory on a broken peer.
const MAX_HEAD: usize = u16::MAX as usize;
/// Largest body accepted: the 6 MB synchronous payload limit with headroom.
const MAX_BODY: usize = 16 * 1024 * 1024;
const READ_CHUNK: usize = 16 * 1024;

/// A header's name and value, as byte ranges into [`RawResponse::head`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HeaderSpan {
    // u16 is enough: the head is capped at MAX_HEAD (64 KiB). Small spans
    // keep `RawResponse` small, and it is moved through several layers.
    name: (u16, u16),
    value: (u16, u16),
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// `Name: value\r\n` lines (status line excluded).
    pub head: Bytes,
    spans: [HeaderSpan; MAX_HEADERS],
    span_count: usize,
    /// The body, de-chunked.
    pub body: Bytes,
}

impl RawResponse {
    /// Every header as `(name, value)`.
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.spans[..self.span_count].iter().map(|s| {
            (
                &self.head[s.name.0 as usize..s.name.1 as usize],
                &self.head[s.value.0 as usize..s.value.1 as usize],
            )
        })
    }
}

/// One keep-alive connection; requests go one at a time.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    /// The `Host` header's value: the `host:port` connected to.
    host: Box<str>,
    read: BytesMut,
    write: Vec<u8>,
    /// The peer asked to close after the last response.
    closing: bool,
}

impl Connection {
    /// Connects to `endpoint` (`host:port`).
    pub async fn connect(endpoint: &str) -> io::Result<Connection> {
        let stream = TcpStream::connect(endpoint).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            host: endpoint.into(),
            read: BytesMut::with_capacity(READ_CHUNK),
            write: Vec::with_capacity(1024),
            closing: false,
        })
    }

    /// Whether the connection can carry another request.
    pub fn is_reusable(&self) -> bool {
        !self.closing
    }

    /// Sends one request and reads its response. `path` is given in pieces
    /// and headers as any string pairs, so callers need not allocate them.
    pub async fn request<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        method: &str,
        path: &[&str],
        headers: &[(N, V)],
        body: &[u8],
    ) -> io::Result<RawResponse> {
        self.write.clear();
        self.write.extend_from_slice(method.as_bytes());
        self.write.push(b' ');
        for piece in path {
            self.write.extend_from_slice(piece.as_bytes());
        }
        self.write.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        self.write.extend_from_slice(self.host.as_bytes());
        self.write.extend_from_slice(b"\r\n");
        for (name, value) in headers {
            self.write.extend_from_slice(name.as_ref().as_bytes());
            self.write.extend_from_slice(b": ");
            self.write.extend_from_slice(value.as_ref().as_bytes());
            self.write.extend_from_slice(b"\r\n");
        }
        if method != "GET" {
            self.write.extend_from_slice(b"Content-Length: ");
            self.write
                .extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
            self.write.extend_from_slice(b"\r\n");
        }
        self.write.extend_from_slice(b"\r\n");
        // Small bodies ride in the same write (one syscall, one packet);
        // large ones are not copied.
        if body.len() <= 64 * 1024 {
            self.write.extend_from_slice(body);
            self.stream.write_all(&self.write).await?;
        } else {
            self.stream.write_all(&self.write).await?;
            self.stream.write_all(body).await?;
        }
        self.read_response().await
    }

    async fn read_response(&mut self) -> io::Result<RawResponse> {
        loop {
            if let Some(response) = self.parse()? {
                return Ok(response);
            }
            if self.read.len() > MAX_HEAD + MAX_BODY {
                return Err(invalid("response larger than 16 MiB"));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> io::Result<()> {
        self.read.reserve(READ_CHUNK);
        let n = self.stream.read_buf(&mut self.read).await?;
        if n == 0 {
            self.closing = true;
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(())
    }

    /// Tries to parse one whole response from the read buffer.
    fn parse(&mut self) -> io::Result<Option<RawResponse>> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut headers);
        let head_len = match parsed.parse(&self.read) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => {
                if self.read.len() > MAX_HEAD {
                    return Err(invalid("response head larger than 64 KiB"));
                }
                return Ok(None);
            }
            Err(error) => return Err(invalid(&format!("malformed HTTP response: {error}"))),
        };
        let status = parsed.code.unwrap_or(0);
        let base = self.read.as_ptr() as usize;
        let first_header = parsed
            .headers
            .first()
            .map_or(head_len, |h| h.name.as_ptr() as usize - base);
        let mut spans = [HeaderSpan::default(); MAX_HEADERS];
        let mut content_length = None;
        let mut chunked = false;
        let mut closing = false;
        for (span, header) in spans.iter_mut().zip(parsed.headers.iter()) {
            let name_at = header.name.as_ptr() as usize - base - first_header;
            let value_at = header.value.as_ptr() as usize - base - first_header;
            *span = HeaderSpan {
                name: (name_at as u16, (name_at + header.name.len()) as u16),
                value: (value_at as u16, (value_at + header.value.len()) as u16),
            };
            if header.name.eq_ignore_ascii_case("content-length") {
                let text = std::str::from_utf8(header.value).unwrap_or("");
                content_length = Some(
                    text.trim()
                        .parse::<usize>()
                        .map_err(|_| invalid("invalid Content-Length"))?,
                );
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = header.value.eq_ignore_ascii_case(b"chunked");
            } else if header.name.eq_ignore_ascii_case("connection") {
                closing = header.value.eq_ignore_ascii_case(b"close");
            }
        }
        let span_count = parsed.headers.len();
        let head_end = if span_count == 0 {
            first_header
        } else {
            head_len - 2
        };

        if chunked {
            let Some((body, consumed)) = decode_chunked(&self.read[head_len..])? else {
                return Ok(None);
            };
            let head = self.read.split_to(head_len).freeze();
            self.read.advance(consumed);
            self.closing |= closing;
            return Ok(Some(RawResponse {
                status,
                head: head.slice(first_header..head_end),
                spans,
                span_count,
                body,
            }));
        }
        let body_len = content_length.unwrap_or(0);
        if body_len > MAX_BODY {
            return Err(invalid("response body larger than 16 MiB"));
        }
        if self.read.len() < head_len + body_len {
            return Ok(None);
        }
        let whole = self.read.split_to(head_len + body_len).freeze();
        self.closing |= closing;
        Ok(Some(RawResponse {
            status,
            head: whole.slice(first_header..head_end),
            spans,
            span_count,
            body: whole.slice(head_len..),
        }))
    }
}

/// Decodes a complete chunked body; `None` if more bytes are needed.
/// Returns the body and how many input bytes it used.
fn decode_chunked(mut input: &[u8]) -> io::Result<Option<(Bytes, usize)>> {
    let total = input.len();
    let mut body = BytesMut::new();
    loop {
        let Some(line_end) = input.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let size_text =
            std::str::from_utf8(&input[..line_end]).map_err(|_| invalid("invalid chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| invalid("invalid chunk size"))?;
        input = &input[line_end + 2..];
        if size == 0 {
            // Trailers, then an empty line.
            loop {
                let Some(end) = input.windows(2).position(|w| w == b"\r\n") else {
                    return Ok(None);
                };
                input = &input[end + 2..];
                if end == 0 {
                    return Ok(Some((body.freeze(), total - input.len())));
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(invalid("response body larger than 16 MiB"));
        }
        if input.len() < size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&input[..size]);
        input = &input[size + 2..];
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode_and_wait_for_more() {
        let (body, used) = decode_chunked(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\nNEXT")
            .unwrap()
            .unwrap();
        assert_eq!(&body[..], b"abcde");
        assert_eq!(used, 24);
        assert!(decode_chunked(b"3\r\nab").unwrap().is_none());
        assert!(decode_chunked(b"zz\r\n").is_err());
    }
}
