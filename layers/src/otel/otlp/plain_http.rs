//! [`PlainHttp`]: the fast path. Posts http/protobuf bodies to an
//! `http://` collector over one kept-alive connection of the runtime's own
//! HTTP/1.1 client, the common set-up (a collector next to the function).

use std::io;

use light_runtime_http_client::Connection;
use tokio::sync::Mutex;

use super::response::{partial_success, PartialSuccess};

/// Where one signal is posted, and the connection to it.
#[derive(Debug)]
pub(crate) struct PlainHttp {
    /// The URL, for messages.
    url: String,
    /// `host:port`, to connect to and for the `Host` header.
    authority: String,
    /// The path and query.
    path: String,
    /// `Content-Type` and `OTEL_EXPORTER_OTLP_HEADERS`.
    headers: Vec<(String, String)>,
    /// Kept between exports; taken out while a request is in flight, so a
    /// request cut off by its time limit drops its half-used connection.
    connection: Mutex<Option<Connection>>,
}

impl PlainHttp {
    /// A sender for `url` with extra `headers`, or why it cannot send there.
    pub(crate) fn new<'a>(
        url: &str,
        headers: impl IntoIterator<Item = &'a (String, String)>,
    ) -> Result<Self, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|error| format!("not a URL ({error})"))?;
        if uri.scheme_str() != Some("http") {
            return Err("not an http:// URL".into());
        }
        let host = uri.host().ok_or("the URL has no host")?;
        let port = uri.port_u16().unwrap_or(80);
        // `[::1]`: `Uri::host` keeps IPv6 brackets, which `connect` accepts.
        let authority = format!("{host}:{port}");
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let mut all_headers = vec![(
            "Content-Type".to_owned(),
            "application/x-protobuf".to_owned(),
        )];
        // The settings checked these already; a sender built some other way
        // still never writes a header that breaks the request.
        for (name, value) in headers {
            let valid_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !valid_name {
                return Err(format!(
                    "the header name {name:?} is not a valid HTTP token"
                ));
            }
            if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
                return Err(format!("the value of header {name} has control characters"));
            }
            all_headers.push((name.clone(), value.clone()));
        }
        Ok(PlainHttp {
            url: url.to_owned(),
            authority,
            path,
            headers: all_headers,
            connection: Mutex::new(None),
        })
    }

    /// The URL posted to.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Posts `body`; `Err` says why it was not accepted, `Ok(Some(..))`
    /// what the collector accepted but refused. A kept-alive connection the
    /// collector has meanwhile closed is replaced once.
    pub(crate) async fn post(&self, body: &[u8]) -> Result<Option<PartialSuccess>, String> {
        let mut slot = self.connection.lock().await;
        let kept = slot.take().filter(Connection::is_reusable);
        let reused = kept.is_some();
        let mut connection = match kept {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let response = match self.send(&mut connection, body).await {
            Err(_) if reused => {
                connection = self.connect().await?;
                self.send(&mut connection, body).await
            }
            other => other,
        };
        let response = response.map_err(|error| format!("posting to {}: {error}", self.url))?;
        if connection.is_reusable() {
            *slot = Some(connection);
        }
        if (200..300).contains(&response.status) {
            Ok(partial_success(&response.body))
        } else {
            let excerpt = String::from_utf8_lossy(&response.body[..response.body.len().min(200)])
                .into_owned();
            Err(format!(
                "{} answered {}{}{}",
                self.url,
                response.status,
                if excerpt.is_empty() { "" } else { ": " },
                excerpt.trim()
            ))
        }
    }

    async fn connect(&self) -> Result<Connection, String> {
        Connection::connect(&self.authority)
            .await
            .map_err(|error| format!("cannot connect to {}: {error}", self.url))
    }

    async fn send(
        &self,
        connection: &mut Connection,
        body: &[u8],
    ) -> io::Result<light_runtime_http_client::RawResponse> {
        connection
            .request("POST", &[&self.path], &self.headers, body)
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    fn no_headers() -> Vec<(String, String)> {
        Vec::new()
    }

    #[test]
    fn unusable_endpoints_say_why() {
        let https = PlainHttp::new("https://collector:4318/v1/traces", &no_headers());
        assert!(https.unwrap_err().contains("not an http:// URL"));
        assert!(PlainHttp::new("ftp://collector/v1/traces", &no_headers())
            .unwrap_err()
            .contains("not an http:// URL"));
        let bad_name = vec![("bad name".to_owned(), "v".to_owned())];
        assert!(PlainHttp::new("http://127.0.0.1:4318/v1/traces", &bad_name)
            .unwrap_err()
            .contains("\"bad name\""));
        let injected = vec![("x-key".to_owned(), "a\r\nHost: evil".to_owned())];
        assert!(PlainHttp::new("http://127.0.0.1:4318/v1/traces", &injected)
            .unwrap_err()
            .contains("control characters"));
        let fine = PlainHttp::new("http://localhost/v1/traces", &no_headers()).unwrap();
        assert_eq!(fine.authority, "localhost:80");
        assert_eq!(fine.path, "/v1/traces");
    }

    /// Reads one request (head and `Content-Length` body) from `socket`.
    async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
        let mut seen = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&seen).into_owned();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length = text
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .map_or(0, |n| n.trim().parse::<usize>().unwrap());
                if seen.len() >= head_end + 4 + length {
                    return text;
                }
            }
            let n = socket.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the client closed mid-request");
            seen.extend_from_slice(&chunk[..n]);
        }
    }

    #[tokio::test]
    async fn a_connection_the_collector_closed_is_replaced_and_errors_name_the_status() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/metrics", listener.local_addr().unwrap());
        let headers = vec![("x-team".to_owned(), "payments".to_owned())];
        let sender = PlainHttp::new(&url, &headers).unwrap();
        let collector = tokio::spawn(async move {
            // First connection: answer, then close without saying so.
            let (mut first, _) = listener.accept().await.unwrap();
            let request = read_request(&mut first).await;
            first
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .await
                .unwrap();
            drop(first);
            // Second connection: the reused one failed, so the sender
            // reconnected; refuse this body with a 400.
            let (mut second, _) = listener.accept().await.unwrap();
            let retried = read_request(&mut second).await;
            second
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\n\r\nno good")
                .await
                .unwrap();
            (request, retried)
        });
        let limit = Duration::from_secs(5);
        let within = |f| tokio::time::timeout(limit, f);
        assert_eq!(within(sender.post(b"first")).await.unwrap(), Ok(None));
        // Let the collector's close reach the kept connection.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let refused = within(sender.post(b"second")).await.unwrap().unwrap_err();
        assert!(refused.contains("answered 400: no good"), "{refused}");
        let (request, retried) = tokio::time::timeout(limit, collector)
            .await
            .unwrap()
            .unwrap();
        assert!(
            request.starts_with("POST /v1/metrics HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(request.contains("Content-Type: application/x-protobuf\r\n"));
        assert!(request.contains("x-team: payments\r\n"));
        assert!(request.ends_with("\r\n\r\nfirst"));
        assert!(retried.ends_with("\r\n\r\nsecond"));
    }
}
