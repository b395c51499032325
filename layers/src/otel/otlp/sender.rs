//! [`OtlpSender`]: posts encoded OTLP requests to one collector URL over a
//! kept-alive HTTP/1.1 connection.

use std::io;

use light_runtime_adapters::connection::Connection;
use tokio::sync::Mutex;

/// Where one signal is posted, and the connection to it.
#[derive(Debug)]
pub(crate) struct OtlpSender {
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

impl OtlpSender {
    /// A sender for `url` with extra `headers`, or why it cannot send there.
    pub(crate) fn new<'a>(
        url: &str,
        headers: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Result<Self, String> {
        let uri: http::Uri = url
            .parse()
            .map_err(|error| format!("not a URL ({error})"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(
                    "https is not supported: the export is plain HTTP/1.1, meant for a \
                            collector next to the function (an OpenTelemetry collector \
                            extension or sidecar on localhost), which forwards over TLS"
                        .into(),
                )
            }
            _ => return Err("not an http:// URL".into()),
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
        Ok(OtlpSender {
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

    /// Posts `body`; `Err` says why it was not accepted. A kept-alive
    /// connection the collector has meanwhile closed is replaced once.
    pub(crate) async fn post(&self, body: &[u8]) -> Result<(), String> {
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
            Ok(())
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
    ) -> io::Result<light_runtime_adapters::connection::RawResponse> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        connection
            .request("POST", &[&self.path], &headers, body)
            .await
    }
}
