//! [`HyperHttp`]: every export the fast path does not serve: `https://`,
//! gRPC (HTTP/2), gzip bodies and OTLP/JSON. hyper's client connection
//! (HTTP/1.1, or HTTP/2 for gRPC) over TCP or tokio-rustls, one kept
//! connection per signal.

use std::io::Write;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use super::response::{self, PartialSuccess};
use super::{grpc_frame, json_body, tls};
use crate::otel::otlp_settings::{OtlpSettings, Protocol, Signal};

/// The longest excerpt of a refusal's body put in the error.
const EXCERPT: usize = 200;

/// One signal's export through hyper; see the module docs.
pub(crate) struct HyperHttp {
    url: String,
    signal: Signal,
    protocol: Protocol,
    gzip: bool,
    /// `host:port` to connect to.
    address: String,
    /// The request target: origin form over HTTP/1.1, absolute for HTTP/2.
    target: http::Uri,
    /// TLS, for `https://`, with the name the certificate must carry.
    tls: Option<(TlsConnector, ServerName<'static>)>,
    /// Content type, encodings, the user's headers; `Host` over HTTP/1.1.
    headers: HeaderMap,
    /// Taken out while a request is in flight, as in the plain sender.
    connection: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for HyperHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperHttp")
            .field("url", &self.url)
            .field("protocol", &self.protocol)
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

/// A kept connection.
enum Connection {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

impl Connection {
    fn is_closed(&self) -> bool {
        match self {
            Connection::Http1(send) => send.is_closed(),
            Connection::Http2(send) => send.is_closed(),
        }
    }
}

/// What came back: status, headers, body and trailers.
struct Answer {
    status: http::StatusCode,
    headers: HeaderMap,
    body: Bytes,
    trailers: Option<HeaderMap>,
}

impl HyperHttp {
    /// A sender for `settings`, or why it cannot send there (naming the
    /// variable at fault).
    pub(crate) fn new(settings: &OtlpSettings) -> Result<Self, String> {
        let uri: http::Uri = settings
            .url
            .parse()
            .map_err(|error| format!("{}: not a URL ({error})", settings.url_source))?;
        let https = uri.scheme_str() == Some("https");
        let host = uri
            .host()
            .ok_or_else(|| format!("{}: the URL has no host", settings.url_source))?;
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let address = format!("{host}:{port}");
        let grpc = settings.protocol == Protocol::Grpc;
        let tls = if https {
            let alpn: &[u8] = if grpc { b"h2" } else { b"http/1.1" };
            let config = tls::client_config(settings, alpn)?;
            let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']'))
                .map_err(|error| {
                    format!(
                        "{}: {host} is not a TLS server name ({error})",
                        settings.url_source
                    )
                })?
                .to_owned();
            Some((TlsConnector::from(config), name))
        } else {
            None
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let target: http::Uri = if grpc {
            settings.url.parse()
        } else {
            path.parse()
        }
        .map_err(|error| format!("{}: {error}", settings.url_source))?;
        let mut headers = HeaderMap::new();
        let mut put = |name: &str, value: &str| -> Result<(), String> {
            let name = HeaderName::try_from(name)
                .map_err(|_| format!("the header name {name:?} is not valid"))?;
            let value = HeaderValue::try_from(value)
                .map_err(|_| format!("the value of header {name} is not valid"))?;
            headers.append(name, value);
            Ok(())
        };
        match settings.protocol {
            Protocol::HttpProtobuf => put("content-type", "application/x-protobuf")?,
            Protocol::HttpJson => put("content-type", "application/json")?,
            Protocol::Grpc => {
                put("content-type", "application/grpc")?;
                put("te", "trailers")?;
                put(
                    "grpc-timeout",
                    &format!("{}m", settings.timeout.as_millis().max(1)),
                )?;
            }
        }
        if settings.gzip {
            if grpc {
                put("grpc-encoding", "gzip")?;
            } else {
                put("content-encoding", "gzip")?;
            }
        }
        if !grpc {
            let authority = uri.authority().map_or(host, |a| a.as_str());
            put("host", authority)?;
        }
        for (name, value) in &settings.headers {
            put(name, value)?;
        }
        Ok(HyperHttp {
            url: settings.url.clone(),
            signal: settings.signal,
            protocol: settings.protocol,
            gzip: settings.gzip,
            address,
            target,
            tls,
            headers,
            connection: Mutex::new(None),
        })
    }

    /// The URL posted to.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Posts `protobuf` (an encoded request) in this sender's format; as
    /// [`PlainHttp::post`](super::plain_http::PlainHttp::post).
    pub(crate) async fn post(&self, protobuf: &[u8]) -> Result<Option<PartialSuccess>, String> {
        let body = Bytes::from(self.body(protobuf)?);
        let mut slot = self.connection.lock().await;
        let kept = slot.take().filter(|c| !c.is_closed());
        let reused = kept.is_some();
        let mut connection = match kept {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let answer = match self.send(&mut connection, body.clone()).await {
            Err(_) if reused => {
                connection = self.connect().await?;
                self.send(&mut connection, body).await
            }
            other => other,
        }
        .map_err(|error| format!("posting to {}: {error}", self.url))?;
        if !connection.is_closed() {
            *slot = Some(connection);
        }
        drop(slot);
        self.read(answer)
    }

    /// The request body: JSON or protobuf, gzipped, framed for gRPC.
    fn body(&self, protobuf: &[u8]) -> Result<Vec<u8>, String> {
        let mut body = match self.protocol {
            Protocol::HttpJson => json_body::to_json(self.signal, protobuf)?,
            _ => protobuf.to_vec(),
        };
        if self.gzip {
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 2),
                flate2::Compression::default(),
            );
            encoder
                .write_all(&body)
                .and_then(|()| encoder.finish())
                .map(|compressed| body = compressed)
                .map_err(|error| format!("gzip failed: {error}"))?;
        }
        if self.protocol == Protocol::Grpc {
            body = grpc_frame::frame(&body, self.gzip)?;
        }
        Ok(body)
    }

    async fn connect(&self) -> Result<Connection, String> {
        let cannot =
            |error: &dyn std::fmt::Display| format!("cannot connect to {}: {error}", self.url);
        let tcp = TcpStream::connect(&self.address)
            .await
            .map_err(|e| cannot(&e))?;
        let _ = tcp.set_nodelay(true);
        let http2 = self.protocol == Protocol::Grpc;
        match &self.tls {
            Some((connector, name)) => {
                let stream = connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| cannot(&format!("TLS: {e}")))?;
                handshake(stream, http2).await.map_err(|e| cannot(&e))
            }
            None => handshake(tcp, http2).await.map_err(|e| cannot(&e)),
        }
    }

    async fn send(&self, connection: &mut Connection, body: Bytes) -> Result<Answer, hyper::Error> {
        let mut request = Request::post(self.target.clone())
            .body(Full::new(body))
            .expect("a request from a checked URI and headers");
        *request.headers_mut() = self.headers.clone();
        let response = match connection {
            Connection::Http1(send) => {
                send.ready().await?;
                send.send_request(request).await?
            }
            Connection::Http2(send) => {
                send.ready().await?;
                send.send_request(request).await?
            }
        };
        let (parts, incoming) = response.into_parts();
        let collected = incoming.collect().await?;
        let trailers = collected.trailers().cloned();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: collected.to_bytes(),
            trailers,
        })
    }

    /// What the answer says: accepted (maybe partly), or why not.
    fn read(&self, answer: Answer) -> Result<Option<PartialSuccess>, String> {
        if !answer.status.is_success() {
            let excerpt = String::from_utf8_lossy(&answer.body[..answer.body.len().min(EXCERPT)])
                .into_owned();
            return Err(format!(
                "{} answered {}{}{}",
                self.url,
                answer.status.as_u16(),
                if excerpt.trim().is_empty() { "" } else { ": " },
                excerpt.trim()
            ));
        }
        match self.protocol {
            Protocol::Grpc => {
                grpc_frame::status(&answer.headers, answer.trailers.as_ref())
                    .map_err(|error| format!("{} answered {error}", self.url))?;
                let message = grpc_frame::unframe(&answer.body)
                    .map_err(|error| format!("{}: {error}", self.url))?;
                Ok(response::partial_success(&message))
            }
            Protocol::HttpJson => Ok(json_body::partial_success(&answer.body)),
            Protocol::HttpProtobuf => Ok(response::partial_success(&answer.body)),
        }
    }
}

/// An HTTP/1.1 or HTTP/2 (prior knowledge, or ALPN `h2` over TLS)
/// connection on `io`, its driver spawned on the runtime.
async fn handshake<S>(io: S, http2: bool) -> Result<Connection, hyper::Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if http2 {
        let (send, driver) = http2::Builder::new(TokioExecutor::new())
            .keep_alive_while_idle(false)
            .handshake(TokioIo::new(io))
            .await?;
        tokio::spawn(driver);
        Ok(Connection::Http2(send))
    } else {
        let (send, driver) = http1::handshake(TokioIo::new(io)).await?;
        tokio::spawn(driver);
        Ok(Connection::Http1(send))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use light_runtime_testkit::otlp::{OtlpReceiver, TestCertificates};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message as _;
    use runtime_engine::Environment;

    use super::*;

    const LIMIT: Duration = Duration::from_secs(10);

    fn sender(vars: &[(&str, &str)]) -> HyperHttp {
        let env = Environment::from_vars(vars.iter().copied());
        HyperHttp::new(&OtlpSettings::read(&env, Signal::Traces).unwrap()).unwrap()
    }

    fn empty_request() -> Vec<u8> {
        ExportTraceServiceRequest::default().encode_to_vec()
    }

    #[tokio::test]
    async fn refused_items_are_read_from_each_format_and_the_connection_is_kept() {
        let receiver = OtlpReceiver::start_refusing(2).await.unwrap();
        let endpoint = receiver.endpoint();
        for (protocol, compression) in [
            ("http/json", "none"),
            ("grpc", "none"),
            ("grpc", "gzip"),
            ("http/protobuf", "gzip"),
        ] {
            let sender = sender(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", compression),
            ]);
            for _ in 0..2 {
                let answer = tokio::time::timeout(LIMIT, sender.post(&empty_request()))
                    .await
                    .unwrap();
                let partial = answer.unwrap().expect("a partial success");
                assert_eq!(partial.rejected, 2, "{protocol} {compression}");
                assert_eq!(partial.message, "over the test's limit");
            }
            assert!(sender.connection.lock().await.is_some(), "{protocol} kept");
        }
        assert!(receiver.rejected().is_empty(), "{:?}", receiver.rejected());
        assert_eq!(receiver.requests().1, 8);
    }

    #[tokio::test]
    async fn refusals_say_the_status_for_http_and_grpc() {
        let receiver = OtlpReceiver::start().await.unwrap();
        let endpoint = receiver.endpoint();
        // gRPC: a message cut mid-field is refused with status 3.
        let grpc = sender(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]);
        let error = tokio::time::timeout(LIMIT, grpc.post(&[0x0a, 0x05, 0x08]))
            .await
            .unwrap()
            .unwrap_err();
        assert!(error.contains("answered gRPC status 3: "), "{error}");
        // HTTP: a JSON body the receiver cannot parse is refused with 400
        // (a protobuf sender with JSON's content type, to get it there).
        let mut http = sender(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]);
        http.headers
            .insert("content-type", HeaderValue::from_static("application/json"));
        let error = tokio::time::timeout(LIMIT, http.post(b"{not json"))
            .await
            .unwrap()
            .unwrap_err();
        assert!(error.contains("answered 400: OTLP/JSON"), "{error}");
    }

    #[tokio::test]
    async fn a_server_the_ca_does_not_vouch_for_is_a_tls_error_per_export() {
        let server = TestCertificates::generate().unwrap();
        let other = TestCertificates::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let other_ca = other.write_ca(dir.path()).unwrap();
        let receiver = OtlpReceiver::builder().tls(&server).start().await.unwrap();
        let sender = sender(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", other_ca.to_str().unwrap()),
        ]);
        let error = tokio::time::timeout(LIMIT, sender.post(&empty_request()))
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            error.contains("cannot connect to https://127.0.0.1:"),
            "{error}"
        );
        assert!(error.contains("TLS"), "{error}");
        assert_eq!(receiver.requests(), (0, 0));
    }
}
