//! [`Connection`]: one keep-alive HTTP/1.1 client connection, to a pull
//! runtime API (AWS Lambda, Tencent SCF) or, from the telemetry layers, to an
//! OTLP/HTTP collector.
//!
//! Hand-written on purpose: both are per-invocation hot paths (a runtime
//! API exchange per invocation, an OTLP export per `Freeze`), and both need
//! only fixed requests and `Content-Length` or chunked responses; a
//! streamed response is a chunked request with trailers
//! ([`Connection::start_chunked`]). Parsing is `httparse`; the response head and body are slices
//! of the read buffer, handed to the invocation without a copy. See
//! `docs/design/runtime-api-client.md` for the measurement behind it.
//!
//! It never writes what it did not check: a path piece or header that would
//! change the request line or add a header is refused before any byte goes
//! out. A response that starts arriving but cannot be read whole is an
//! [`UnreadableResponse`], carrying the head bytes that did arrive, so a
//! caller can still find out which invocation it was.

use std::fmt;
use std::io;
use std::mem::MaybeUninit;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Headers we look at on a response; the Runtime API sends well under this.
pub const MAX_HEADERS: usize = 32;
/// Largest header block accepted, to bound memory on a broken peer.
pub const MAX_HEAD: usize = u16::MAX as usize;
/// Largest body accepted: the 6 MB synchronous payload limit with headroom.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
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
    /// Whether any byte of the current request was handed to the socket:
    /// before that, a failure provably sent nothing.
    request_left: bool,
}

/// A response that began to arrive but cannot be read whole: over a size
/// limit, with more headers than are kept, malformed, or cut off. The
/// connection it came on is not reused.
#[derive(Debug, Clone)]
pub struct UnreadableResponse {
    /// The response's first bytes as received (status line and as much of
    /// the head as arrived, at most [`MAX_HEAD`] bytes).
    pub head: Bytes,
    /// What was wrong.
    pub kind: UnreadableKind,
    /// What was wrong, for messages: e.g. `the body of 17825792 bytes is
    /// over the 16777216-byte limit`.
    pub reason: String,
}

/// Why a response could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnreadableKind {
    /// The body is over [`MAX_BODY`].
    BodyTooLarge,
    /// The head is over [`MAX_HEAD`].
    HeadTooLarge,
    /// More than [`MAX_HEADERS`] headers.
    TooManyHeaders,
    /// Not HTTP/1.1 as the parser reads it (status line, header syntax,
    /// `Content-Length`, chunk sizes).
    Malformed,
    /// The connection closed or failed before the response was whole.
    CutShort,
}

impl UnreadableResponse {
    /// The first header named `name` (any case) among the bytes received,
    /// found line by line so that it works on heads the parser refused.
    /// Only whole lines count: a value cut off by the end of the bytes is
    /// not returned.
    pub fn header(&self, name: &str) -> Option<&str> {
        // Up to the last line break: what follows it may be cut short.
        let whole_lines = match self.head.iter().rposition(|&b| b == b'\n') {
            Some(end) => &self.head[..end],
            None => return None,
        };
        whole_lines
            .split(|&b| b == b'\n')
            .skip(1) // the status line
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            // The empty line ends the head: what follows is body.
            .take_while(|line| !line.is_empty())
            .find_map(|line| {
                let colon = line.iter().position(|&b| b == b':')?;
                let (key, value) = (&line[..colon], &line[colon + 1..]);
                key.eq_ignore_ascii_case(name.as_bytes())
                    .then(|| std::str::from_utf8(value).ok())
                    .flatten()
                    .map(str::trim)
            })
    }

    /// The [`UnreadableResponse`] inside `error`, if that is what it is.
    pub fn of(error: &io::Error) -> Option<&UnreadableResponse> {
        error.get_ref()?.downcast_ref()
    }
}

impl fmt::Display for UnreadableResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unreadable response: {}", self.reason)
    }
}

impl std::error::Error for UnreadableResponse {}

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
            request_left: false,
        })
    }

    /// Whether the connection can carry another request.
    pub fn is_reusable(&self) -> bool {
        !self.closing
    }

    /// Whether any byte of the last request was handed to the socket. When
    /// `false` after a failure, the request provably did not reach the peer
    /// and may be sent again on another connection.
    pub fn request_left(&self) -> bool {
        self.request_left
    }

    /// Whether the peer has closed (or reset) an idle connection, or sent
    /// bytes nobody asked for: a non-blocking peek, so a stale keep-alive
    /// connection is found before a request is written to it.
    pub fn is_stale(&self) -> bool {
        let mut probe = [MaybeUninit::<u8>::uninit(); 1];
        match socket2::SockRef::from(&self.stream).peek(&mut probe) {
            Err(error) => error.kind() != io::ErrorKind::WouldBlock,
            // 0: the peer closed; more: bytes that answer nothing.
            Ok(_) => true,
        }
    }

    /// Sends one request and reads its response. `path` is given in pieces
    /// and headers as any string pairs, so callers need not allocate them.
    ///
    /// Refused with [`io::ErrorKind::InvalidInput`], before anything is
    /// written, if the method or a path piece holds anything but visible
    /// ASCII (no space, no control character), or a header name or value
    /// holds a line break or NUL. A response that starts but cannot be read
    /// whole is an error carrying an [`UnreadableResponse`].
    pub async fn request<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        method: &str,
        path: &[&str],
        headers: &[(N, V)],
        body: &[u8],
    ) -> io::Result<RawResponse> {
        self.request_left = false;
        check_request(method, path, headers)?;
        self.write.clear();
        self.write_head(method, path, headers);
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
            write_tracked(&mut self.stream, &self.write, &mut self.request_left).await?;
        } else {
            write_tracked(&mut self.stream, &self.write, &mut self.request_left).await?;
            write_tracked(&mut self.stream, body, &mut self.request_left).await?;
        }
        let response = self.read_response().await;
        self.close_if_unreadable(&response);
        response
    }

    /// Starts a request whose body follows in chunks
    /// (`Transfer-Encoding: chunked`): writes the request head, declaring
    /// `trailer_names` in a `Trailer` header when there are any. Send the
    /// body with [`write_chunk`](Self::write_chunk) and end the request with
    /// [`finish_chunked`](Self::finish_chunked), which reads the response.
    /// Checked and refused as [`request`](Self::request) is; a
    /// `Content-Length` or `Transfer-Encoding` among `headers` is refused
    /// too, since this request sets its own framing.
    pub async fn start_chunked<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        method: &str,
        path: &[&str],
        headers: &[(N, V)],
        trailer_names: &[&str],
    ) -> io::Result<()> {
        self.request_left = false;
        check_request(method, path, headers)?;
        let framing = headers.iter().map(|(name, _)| name.as_ref()).find(|name| {
            name.eq_ignore_ascii_case("content-length")
                || name.eq_ignore_ascii_case("transfer-encoding")
        });
        if let Some(name) = framing {
            return Err(refused(format!(
                "a chunked request sets its own framing; remove the {name} header"
            )));
        }
        let declared: Vec<(&str, &str)> = trailer_names.iter().map(|name| (*name, "")).collect();
        check_request(method, path, &declared)?;
        self.write.clear();
        self.write_head(method, path, headers);
        self.write
            .extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        if !trailer_names.is_empty() {
            self.write.extend_from_slice(b"Trailer: ");
            self.write
                .extend_from_slice(trailer_names.join(", ").as_bytes());
            self.write.extend_from_slice(b"\r\n");
        }
        self.write.extend_from_slice(b"\r\n");
        write_tracked(&mut self.stream, &self.write, &mut self.request_left).await
    }

    /// Sends `data` as one chunk of the request
    /// [`start_chunked`](Self::start_chunked) began. Empty data sends
    /// nothing: an empty chunk would end the body.
    pub async fn write_chunk(&mut self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.write.clear();
        let mut size = [0u8; 16];
        self.write.extend_from_slice(hex(data.len(), &mut size));
        self.write.extend_from_slice(b"\r\n");
        // As for whole bodies: small chunks ride in one write, large ones
        // are not copied.
        if data.len() <= 64 * 1024 {
            self.write.extend_from_slice(data);
            self.write.extend_from_slice(b"\r\n");
            write_tracked(&mut self.stream, &self.write, &mut self.request_left).await
        } else {
            write_tracked(&mut self.stream, &self.write, &mut self.request_left).await?;
            write_tracked(&mut self.stream, data, &mut self.request_left).await?;
            write_tracked(&mut self.stream, b"\r\n", &mut self.request_left).await
        }
    }

    /// Ends the chunked request with the last (empty) chunk and `trailers`,
    /// then reads the response. A trailer name or value that would break
    /// the message is refused before anything is written; the request is
    /// then left unfinished, so the connection is not reused.
    pub async fn finish_chunked<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        trailers: &[(N, V)],
    ) -> io::Result<RawResponse> {
        if let Err(error) = check_request("POST", &[], trailers) {
            self.closing = true;
            return Err(error);
        }
        self.write.clear();
        self.write.extend_from_slice(b"0\r\n");
        for (name, value) in trailers {
            self.write.extend_from_slice(name.as_ref().as_bytes());
            self.write.extend_from_slice(b": ");
            self.write.extend_from_slice(value.as_ref().as_bytes());
            self.write.extend_from_slice(b"\r\n");
        }
        self.write.extend_from_slice(b"\r\n");
        write_tracked(&mut self.stream, &self.write, &mut self.request_left).await?;
        let response = self.read_response().await;
        self.close_if_unreadable(&response);
        response
    }

    /// The request line, `Host` and `headers`, into the write buffer.
    #[inline]
    fn write_head<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        method: &str,
        path: &[&str],
        headers: &[(N, V)],
    ) {
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
    }

    /// After a response that cannot be read whole, the connection is
    /// closed: the rest of that response may still come.
    fn close_if_unreadable(&mut self, response: &io::Result<RawResponse>) {
        if let Err(error) = response {
            if UnreadableResponse::of(error).is_some() {
                self.closing = true;
                self.read.clear();
            }
        }
    }

    async fn read_response(&mut self) -> io::Result<RawResponse> {
        loop {
            if let Some(response) = self.parse()? {
                return Ok(response);
            }
            if self.read.len() > MAX_HEAD + MAX_BODY {
                return Err(self.unreadable(
                    UnreadableKind::BodyTooLarge,
                    "the response is larger than 16 MiB".into(),
                ));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> io::Result<()> {
        self.read.reserve(READ_CHUNK);
        let n = match self.stream.read_buf(&mut self.read).await {
            Ok(n) => n,
            Err(error) if !self.read.is_empty() => {
                return Err(self.unreadable(
                    UnreadableKind::CutShort,
                    format!(
                        "the connection failed after {} bytes of the response: {error}",
                        self.read.len()
                    ),
                ))
            }
            Err(error) => return Err(error),
        };
        if n == 0 {
            self.closing = true;
            if !self.read.is_empty() {
                return Err(self.unreadable(
                    UnreadableKind::CutShort,
                    format!(
                        "the server closed the connection after {} bytes of the response",
                        self.read.len()
                    ),
                ));
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(())
    }

    /// An [`UnreadableResponse`] error with the head bytes read so far.
    fn unreadable(&self, kind: UnreadableKind, reason: String) -> io::Error {
        unreadable(&self.read, kind, reason)
    }

    fn parse(&mut self) -> io::Result<Option<RawResponse>> {
        parse(&mut self.read, &mut self.closing)
    }
}

/// Tries to parse one whole response from `read`, taking its bytes; sets
/// `closing` when the response asks to close the connection.
fn parse(read: &mut BytesMut, closing_flag: &mut bool) -> io::Result<Option<RawResponse>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    let head_len = match parsed.parse(read) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            if read.len() > MAX_HEAD {
                return Err(unreadable(
                    read,
                    UnreadableKind::HeadTooLarge,
                    format!("the response head is over the {MAX_HEAD}-byte limit"),
                ));
            }
            return Ok(None);
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(unreadable(
                read,
                UnreadableKind::TooManyHeaders,
                format!("the response has more than the {MAX_HEADERS} headers kept"),
            ))
        }
        Err(error) => {
            return Err(unreadable(
                read,
                UnreadableKind::Malformed,
                format!("malformed HTTP response: {error}"),
            ))
        }
    };
    let status = parsed.code.unwrap_or(0);
    let base = read.as_ptr() as usize;
    let first_header = parsed
        .headers
        .first()
        .map_or(head_len, |h| h.name.as_ptr() as usize - base);
    let mut spans = [HeaderSpan::default(); MAX_HEADERS];
    let mut content_length = None;
    let mut chunked = false;
    let mut closing = false;
    if head_len > MAX_HEAD {
        // Spans are u16: a longer head cannot be sliced safely.
        return Err(unreadable(
            read,
            UnreadableKind::HeadTooLarge,
            format!("the response head is over the {MAX_HEAD}-byte limit"),
        ));
    }
    for (span, header) in spans.iter_mut().zip(parsed.headers.iter()) {
        let name_at = header.name.as_ptr() as usize - base - first_header;
        let value_at = header.value.as_ptr() as usize - base - first_header;
        *span = HeaderSpan {
            name: (name_at as u16, (name_at + header.name.len()) as u16),
            value: (value_at as u16, (value_at + header.value.len()) as u16),
        };
        if header.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).unwrap_or("");
            let Ok(length) = text.trim().parse::<usize>() else {
                return Err(unreadable(
                    read,
                    UnreadableKind::Malformed,
                    format!("invalid Content-Length {text:?}"),
                ));
            };
            content_length = Some(length);
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
        let decoded = match decode_chunked(&read[head_len..]) {
            Ok(decoded) => decoded,
            Err((kind, reason)) => return Err(unreadable(read, kind, reason)),
        };
        let Some((body, consumed)) = decoded else {
            return Ok(None);
        };
        let head = read.split_to(head_len).freeze();
        read.advance(consumed);
        *closing_flag |= closing;
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
        return Err(unreadable(
            &read[..head_len],
            UnreadableKind::BodyTooLarge,
            format!("the body of {body_len} bytes is over the {MAX_BODY}-byte limit"),
        ));
    }
    if read.len() < head_len + body_len {
        return Ok(None);
    }
    let whole = read.split_to(head_len + body_len).freeze();
    *closing_flag |= closing;
    Ok(Some(RawResponse {
        status,
        head: whole.slice(first_header..head_end),
        spans,
        span_count,
        body: whole.slice(head_len..),
    }))
}

/// Decodes a complete chunked body; `None` if more bytes are needed.
/// Returns the body and how many input bytes it used.
fn decode_chunked(mut input: &[u8]) -> Result<Option<(Bytes, usize)>, (UnreadableKind, String)> {
    let invalid = |reason: &str| (UnreadableKind::Malformed, reason.to_owned());
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
        if body.len().saturating_add(size) > MAX_BODY {
            return Err((
                UnreadableKind::BodyTooLarge,
                format!("the chunked body is over the {MAX_BODY}-byte limit"),
            ));
        }
        if input.len() < size.saturating_add(2) {
            return Ok(None);
        }
        if &input[size..size + 2] != b"\r\n" {
            return Err(invalid("a chunk is not followed by CRLF"));
        }
        body.extend_from_slice(&input[..size]);
        input = &input[size + 2..];
    }
}

/// `n` in lower-case hexadecimal, as a chunk size line wants it.
fn hex(mut n: usize, buffer: &mut [u8; 16]) -> &[u8] {
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b"0123456789abcdef"[n % 16];
        n /= 16;
        if n == 0 {
            return &buffer[at..];
        }
    }
}

/// Writes `bytes`, noting in `left` once any byte was handed to the socket.
async fn write_tracked(
    stream: &mut TcpStream,
    mut bytes: &[u8],
    left: &mut bool,
) -> io::Result<()> {
    while !bytes.is_empty() {
        let n = stream.write(bytes).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        *left = true;
        bytes = &bytes[n..];
    }
    Ok(())
}

/// Refuses a request whose line or headers the pieces would break.
fn check_request<N: AsRef<str>, V: AsRef<str>>(
    method: &str,
    path: &[&str],
    headers: &[(N, V)],
) -> io::Result<()> {
    let visible = |text: &str| text.bytes().all(|b| b.is_ascii_graphic());
    if method.is_empty() || !visible(method) {
        return Err(refused(format!("the method {method:?} is not a token")));
    }
    if let Some(piece) = path.iter().find(|piece| !visible(piece)) {
        return Err(refused(format!(
            "the path piece {piece:?} holds a space, control or non-ASCII character"
        )));
    }
    for (name, value) in headers {
        let (name, value) = (name.as_ref(), value.as_ref());
        if name.is_empty() || !visible(name) || name.contains(':') {
            return Err(refused(format!("the header name {name:?} is not a token")));
        }
        if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(refused(format!(
                "the value of header {name} holds a line break or NUL: {value:?}"
            )));
        }
    }
    Ok(())
}

fn refused(message: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("request not sent: {message}"),
    )
}

fn unreadable(received: &[u8], kind: UnreadableKind, reason: String) -> io::Error {
    let head = &received[..received.len().min(MAX_HEAD)];
    io::Error::new(
        io::ErrorKind::InvalidData,
        UnreadableResponse {
            head: Bytes::copy_from_slice(head),
            kind,
            reason,
        },
    )
}

/// Parses one response from `input` as a connection would, for fuzzing:
/// `Ok(None)` means more bytes are needed. Not a stable API.
#[doc(hidden)]
pub fn parse_for_fuzzing(input: &[u8]) -> io::Result<Option<RawResponse>> {
    let mut read = BytesMut::from(input);
    parse(&mut read, &mut false)
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
        // A size that would overflow the length arithmetic is refused.
        assert!(decode_chunked(b"ffffffffffffffff\r\nab").is_err());
    }

    #[tokio::test]
    async fn chunked_requests_carry_their_chunks_and_trailers() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            let mut buffer = [0u8; 4096];
            while !received.ends_with(b"\r\n\r\n") || !received.windows(3).any(|w| w == b"0\r\n") {
                let n = socket.read(&mut buffer).await.unwrap();
                received.extend_from_slice(&buffer[..n]);
            }
            socket
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nOK")
                .await
                .unwrap();
            String::from_utf8(received).unwrap()
        });
        let mut connection = Connection::connect(&endpoint).await.unwrap();
        let headers = [("Content-Type", "text/plain")];
        connection
            .start_chunked("POST", &["/r"], &headers, &["X-Error-Type"])
            .await
            .unwrap();
        for chunk in [&b"hello "[..], b"", &[b'x'; 300]] {
            connection.write_chunk(chunk).await.unwrap();
        }
        let response = connection
            .finish_chunked(&[("X-Error-Type", "Boom")])
            .await
            .unwrap();
        assert_eq!(response.status, 202);
        let sent = tokio::time::timeout(std::time::Duration::from_secs(5), server)
            .await
            .unwrap()
            .unwrap();
        let (head, body) = sent.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("Transfer-Encoding: chunked"), "{head}");
        assert!(head.contains("Trailer: X-Error-Type"), "{head}");
        assert!(!head.contains("Content-Length"), "{head}");
        let x300 = "x".repeat(300);
        assert_eq!(
            body,
            format!("6\r\nhello \r\n12c\r\n{x300}\r\n0\r\nX-Error-Type: Boom\r\n\r\n")
        );

        let framed = [("Content-Length", "3")];
        let error = connection
            .start_chunked("POST", &["/r"], &framed, &[])
            .await
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn chunk_sizes_are_lower_case_hex() {
        let mut buffer = [0u8; 16];
        assert_eq!(hex(0, &mut buffer), b"0");
        assert_eq!(hex(300, &mut buffer), b"12c");
        assert_eq!(hex(usize::MAX, &mut buffer), b"ffffffffffffffff");
    }

    #[test]
    fn request_lines_are_built_only_from_checked_pieces() {
        let none: &[(&str, &str)] = &[];
        assert!(check_request("GET", &["/2018-06-01/runtime/invocation/next"], none).is_ok());
        for path in ["/a b", "/a\r\nHost: x", "/\u{7f}", "/é", "/a\tb"] {
            let error = check_request("POST", &[path], none).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{path:?}");
        }
        assert!(check_request("GET", &["/"], &[("X", "a\r\nInjected: 1")]).is_err());
        assert!(check_request("GET", &["/"], &[("X: y", "z")]).is_err());
        assert!(check_request("G T", &["/"], none).is_err());
    }

    #[test]
    fn unreadable_heads_still_name_their_headers() {
        let unreadable = |head: &'static [u8]| UnreadableResponse {
            head: Bytes::from_static(head),
            kind: UnreadableKind::CutShort,
            reason: String::new(),
        };
        let whole =
            unreadable(b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nX: 1\r\n");
        assert_eq!(whole.header("lambda-runtime-aws-request-id"), Some("abc"));
        // A line cut short may be a truncated value: not trusted.
        let cut = unreadable(b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: ab");
        assert_eq!(cut.header("Lambda-Runtime-Aws-Request-Id"), None);
        assert_eq!(unreadable(b"").header("X"), None);
        // Body bytes after the head are not headers.
        let body = unreadable(b"HTTP/1.1 200 OK\r\nA: 1\r\n\r\nX: forged\r\n");
        assert_eq!(body.header("X"), None);
    }
}
