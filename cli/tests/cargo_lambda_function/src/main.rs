//! A function written against the Lambda Runtime API by hand (std only, so
//! `cargo lambda watch` builds it in a second, offline): it echoes the event
//! as `{"echo": EVENT}`, and reports `OrderError` for an event containing
//! `fail`, logging one line per invocation. Used by
//! `cli/tests/invoke_cargo_lambda.rs` and `invoke_emulate.rs` (built there
//! with `rustc` alone).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

fn call(api: &str, method: &str, path: &str, body: &[u8]) -> (Vec<(String, String)>, Vec<u8>) {
    let (host, base) = api
        .trim_start_matches("http://")
        .split_once('/')
        .map(|(h, b)| (h.to_string(), format!("/{b}")))
        .unwrap_or((api.trim_start_matches("http://").to_string(), String::new()));
    let mut stream = TcpStream::connect(&host).unwrap();
    write!(stream, "{method} {base}{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
    stream.write_all(body).unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').unwrap();
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let mut body = Vec::new();
    reader.read_to_end(&mut body).unwrap();
    (headers, body)
}

fn main() {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap();
    loop {
        let (headers, event) = call(&api, "GET", "/2018-06-01/runtime/invocation/next", b"");
        let id = headers
            .iter()
            .find(|(k, _)| k == "lambda-runtime-aws-request-id")
            .map(|(_, v)| v.clone())
            .unwrap();
        eprintln!("handling {id}");
        if event.windows(4).any(|w| w == b"fail") {
            call(
                &api,
                "POST",
                &format!("/2018-06-01/runtime/invocation/{id}/error"),
                br#"{"errorType":"OrderError","errorMessage":"order 7 is unknown"}"#,
            );
        } else {
            let mut answer = b"{\"echo\":".to_vec();
            answer.extend_from_slice(&event);
            answer.push(b'}');
            call(
                &api,
                "POST",
                &format!("/2018-06-01/runtime/invocation/{id}/response"),
                &answer,
            );
        }
    }
}
