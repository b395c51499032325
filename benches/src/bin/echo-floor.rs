//! The floor: an echo function doing the least work the AWS Lambda Runtime
//! API allows, the baseline the end-to-end harness compares against.
//!
//! One blocking keep-alive `TcpStream` to `AWS_LAMBDA_RUNTIME_API`; per
//! invocation it writes `GET .../invocation/next`, reads the response head
//! (finding `\r\n\r\n` and the `Lambda-Runtime-Aws-Request-Id` and
//! `Content-Length` headers by hand), reads the body, and posts the same bytes
//! to `.../{id}/response` in one write. No async runtime, no JSON, no
//! allocation per invocation once the buffers have grown to the largest
//! event. It only understands `Content-Length` bodies (what the emulator
//! sends); anything else, end of stream or a connection error ends the
//! process with exit code 0.

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// The path of every `next`.
const NEXT_PATH: &str = "/2018-06-01/runtime/invocation/next";
/// Prefix of the response path; the request id and `/response` follow.
const INVOCATION_PATH: &str = "/2018-06-01/runtime/invocation/";

fn main() {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        eprintln!("echo-floor: AWS_LAMBDA_RUNTIME_API is not set; run it as a Lambda bootstrap");
        std::process::exit(1);
    };
    // Any error ends the loop: the platform closed the connection.
    let _ = serve(&api);
}

/// Connects to `api` (`host:port`) and echoes invocations until the
/// connection fails or closes.
fn serve(api: &str) -> io::Result<()> {
    let mut stream = TcpStream::connect(api)?;
    stream.set_nodelay(true)?;
    let next_request = format!("GET {NEXT_PATH} HTTP/1.1\r\nHost: {api}\r\n\r\n").into_bytes();

    // Bytes read from the socket: one response head and its body.
    let mut input = Input::new();
    // The whole `POST .../response` request, head and body.
    let mut output: Vec<u8> = Vec::with_capacity(16 * 1024);
    // The request id of the invocation in hand.
    let mut request_id: Vec<u8> = Vec::with_capacity(64);

    loop {
        stream.write_all(&next_request)?;
        let head = read_head(&mut stream, &mut input)?;
        request_id.clear();
        request_id.extend_from_slice(head.request_id(input.bytes()).ok_or_else(protocol_error)?);
        let body = read_body(&mut stream, &mut input, &head)?;

        output.clear();
        output.extend_from_slice(b"POST ");
        output.extend_from_slice(INVOCATION_PATH.as_bytes());
        output.extend_from_slice(&request_id);
        output.extend_from_slice(b"/response HTTP/1.1\r\nHost: ");
        output.extend_from_slice(api.as_bytes());
        output.extend_from_slice(b"\r\nContent-Length: ");
        write!(output, "{}", body.len())?;
        output.extend_from_slice(b"\r\n\r\n");
        output.extend_from_slice(&input.bytes()[body]);
        stream.write_all(&output)?;

        // The `202 {"status":"OK"}`: read and discard before the next `next`.
        let head = read_head(&mut stream, &mut input)?;
        read_body(&mut stream, &mut input, &head)?;
    }
}

/// Where the parts of a response head lie in the input buffer.
struct Head {
    /// Length of the head including the empty line that closes it.
    len: usize,
    /// `Content-Length`, 0 when absent.
    content_length: usize,
    /// Byte range of the `Lambda-Runtime-Aws-Request-Id` value.
    request_id: Option<(usize, usize)>,
}

impl Head {
    fn request_id<'a>(&self, input: &'a [u8]) -> Option<&'a [u8]> {
        self.request_id.map(|(start, end)| &input[start..end])
    }
}

/// A read buffer zeroed once: reads go into its spare part, so a read costs
/// no clearing; it grows only for a response larger than any before.
struct Input {
    buffer: Vec<u8>,
    filled: usize,
}

impl Input {
    fn new() -> Self {
        Input {
            buffer: vec![0; 64 * 1024],
            filled: 0,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.buffer[..self.filled]
    }

    /// Forgets what was read: nothing is pipelined, so nothing carries over.
    fn clear(&mut self) {
        self.filled = 0;
    }

    /// Appends what one `read` returns; end of stream is an error.
    fn fill(&mut self, stream: &mut TcpStream) -> io::Result<()> {
        if self.filled == self.buffer.len() {
            self.buffer.resize(self.buffer.len() * 2, 0);
        }
        match stream.read(&mut self.buffer[self.filled..])? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            read => {
                self.filled += read;
                Ok(())
            }
        }
    }
}

/// Reads until `input` holds a whole response head and finds its two headers,
/// in one pass over the bytes: each `\n` ends a line, an empty line the head.
fn read_head(stream: &mut TcpStream, input: &mut Input) -> io::Result<Head> {
    input.clear();
    let mut head = Head {
        len: 0,
        content_length: 0,
        request_id: None,
    };
    let mut line_start = 0;
    let mut status_line = true;
    loop {
        let Some(newline) = input.bytes()[line_start..].iter().position(|&b| b == b'\n') else {
            input.fill(stream)?;
            continue;
        };
        let line_end = line_start + newline;
        let next_line = line_end + 1;
        // Without the `\r` of `\r\n`.
        let line_end = if line_end > line_start && input.bytes()[line_end - 1] == b'\r' {
            line_end - 1
        } else {
            line_end
        };
        if line_end == line_start {
            head.len = next_line;
            return Ok(head);
        }
        if !status_line {
            parse_header(input.bytes(), line_start, line_end, &mut head)?;
        }
        status_line = false;
        line_start = next_line;
    }
}

/// Notes `Content-Length` or the request id if `input[start..end]` is one.
fn parse_header(input: &[u8], start: usize, end: usize, head: &mut Head) -> io::Result<()> {
    let line = &input[start..end];
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Ok(());
    };
    let name = &line[..colon];
    let mut value_start = start + colon + 1;
    while value_start < end && input[value_start] == b' ' {
        value_start += 1;
    }
    if name.eq_ignore_ascii_case(b"content-length") {
        head.content_length = parse_decimal(&input[value_start..end])?;
    } else if name.eq_ignore_ascii_case(b"lambda-runtime-aws-request-id") {
        head.request_id = Some((value_start, end));
    }
    Ok(())
}

/// Reads the rest of the body after `head`; returns its range in `input`.
fn read_body(
    stream: &mut TcpStream,
    input: &mut Input,
    head: &Head,
) -> io::Result<std::ops::Range<usize>> {
    let end = head.len + head.content_length;
    while input.filled < end {
        input.fill(stream)?;
    }
    Ok(head.len..end)
}

fn parse_decimal(digits: &[u8]) -> io::Result<usize> {
    let mut value: usize = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return Err(protocol_error());
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(usize::from(digit - b'0')))
            .ok_or_else(protocol_error)?;
    }
    Ok(value)
}

fn protocol_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "not a response the floor understands",
    )
}
