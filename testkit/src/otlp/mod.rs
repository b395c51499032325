//! [`OtlpReceiver`]: an OTLP collector on `127.0.0.1` that decodes
//! metrics (`/v1/metrics`) and spans (`/v1/traces`) with
//! `opentelemetry-proto` and keeps them for assertions. It reads
//! http/protobuf, http/json and gRPC (the collector services' `Export`
//! paths, HTTP/2), gzip-compressed or not, in clear or over TLS
//! ([`ReceiverBuilder::tls`], with [`TestCertificates`]); it records each
//! request's headers ([`OtlpReceiver::requests_seen`]).
//!
//! # Layout
//! - this file: [`OtlpReceiver`], its [`ReceiverBuilder`], what it keeps.
//! - `formats`: reading each [`Format`] and answering in kind.
//! - `certificates`: [`TestCertificates`], a CA and server certificate.
//!
//! ```
//! use light_runtime_testkit::otlp::OtlpReceiver;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let receiver = OtlpReceiver::start().await.unwrap();
//! // OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint()
//! assert!(receiver.spans().is_empty());
//! assert_eq!(receiver.metric_sum("faas.invocations", None), 0.0);
//! # });
//! ```

mod certificates;
mod formats;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderMap, Request, Response, StatusCode, Version};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

pub use certificates::TestCertificates;
use formats::AnswerBody;
pub use formats::Format;

/// The gRPC method paths of the collector services.
const GRPC_TRACES: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const GRPC_METRICS: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

/// One request as it arrived, before decoding.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    /// The request path.
    pub path: String,
    /// HTTP/1.1 or HTTP/2.
    pub version: Version,
    /// What its `content-type` says.
    pub format: Format,
    /// Its headers (`content-encoding`, `grpc-encoding`, the exporter's own).
    pub headers: HeaderMap,
    /// Whether it came over TLS.
    pub tls: bool,
}

/// One span as received, with ids in lowercase hex and attributes as text.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedSpan {
    /// The span's name.
    pub name: String,
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits.
    pub span_id: String,
    /// 16 hex digits, empty for a root span.
    pub parent_span_id: String,
    /// The span's attributes, each value as text (`true`, `42`, `eu-west-1`).
    pub attributes: BTreeMap<String, String>,
    /// The resource's attributes.
    pub resource: BTreeMap<String, String>,
    /// The status code (0 unset, 1 ok, 2 error).
    pub status_code: i32,
}

#[derive(Default)]
struct Received {
    metrics: Vec<ExportMetricsServiceRequest>,
    traces: Vec<ExportTraceServiceRequest>,
    /// Requests that did not decode, with the reason.
    rejected: Vec<String>,
    /// Every request, before decoding.
    seen: Vec<SeenRequest>,
    /// Items to refuse in each accepted request's `partial_success`.
    refuse: i64,
}

/// The receiver; see the module docs. Stops when dropped.
#[derive(Debug)]
pub struct OtlpReceiver {
    addr: SocketAddr,
    tls: bool,
    received: Arc<Mutex<Received>>,
    changed: watch::Receiver<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Received")
            .field("metrics", &self.metrics.len())
            .field("traces", &self.traces.len())
            .finish()
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OtlpReceiver {
    /// Listens on `127.0.0.1:0`.
    pub async fn start() -> std::io::Result<OtlpReceiver> {
        Self::builder().start().await
    }

    /// Listens on `127.0.0.1:0` and accepts every request that decodes, but
    /// answers it with a `partial_success` refusing `items` of it (data
    /// points or spans), as a collector over its limits does.
    pub async fn start_refusing(items: i64) -> std::io::Result<OtlpReceiver> {
        Self::builder().refusing(items).start().await
    }

    /// A receiver to set up: TLS, refusals.
    pub fn builder() -> ReceiverBuilder {
        ReceiverBuilder::default()
    }

    /// The base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`: `https://` when
    /// the receiver speaks TLS.
    pub fn endpoint(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Every request that arrived, before decoding, in arrival order.
    pub fn requests_seen(&self) -> Vec<SeenRequest> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .seen
            .clone()
    }

    /// Waits until `ready` holds for what was received, or `timeout`.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        mut ready: impl FnMut(&Self) -> bool,
    ) -> bool {
        let mut changed = self.changed.clone();
        let waited = tokio::time::timeout(timeout, async {
            loop {
                if ready(self) {
                    return;
                }
                if changed.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        waited.is_ok() && ready(self)
    }

    /// Every span received, in arrival order.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        let received = self.received.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        for request in &received.traces {
            for resource_spans in &request.resource_spans {
                let resource = resource_spans
                    .resource
                    .as_ref()
                    .map(|r| attributes(&r.attributes))
                    .unwrap_or_default();
                for scope in &resource_spans.scope_spans {
                    for span in &scope.spans {
                        out.push(ReceivedSpan {
                            name: span.name.clone(),
                            trace_id: hex(&span.trace_id),
                            span_id: hex(&span.span_id),
                            parent_span_id: hex(&span.parent_span_id),
                            attributes: attributes(&span.attributes),
                            resource: resource.clone(),
                            status_code: span.status.as_ref().map_or(0, |s| s.code),
                        });
                    }
                }
            }
        }
        out
    }

    /// The sum over every export of the data points of sum metric `name`
    /// whose attributes include `attribute` (`(key, value)`), if given; for
    /// a histogram, the sum of its counts.
    pub fn metric_sum(&self, name: &str, attribute: Option<(&str, &str)>) -> f64 {
        let received = self.received.lock().unwrap_or_else(|p| p.into_inner());
        let matches = |attrs: &[KeyValue]| {
            attribute.is_none_or(|(k, v)| attributes(attrs).get(k).map(String::as_str) == Some(v))
        };
        let mut total = 0.0;
        let metrics = received
            .metrics
            .iter()
            .flat_map(|r| &r.resource_metrics)
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .filter(|m| m.name == name);
        for metric in metrics {
            match &metric.data {
                Some(metric::Data::Sum(sum)) => {
                    for point in sum.data_points.iter().filter(|p| matches(&p.attributes)) {
                        total += match point.value {
                            Some(number_data_point::Value::AsInt(v)) => v as f64,
                            Some(number_data_point::Value::AsDouble(v)) => v,
                            None => 0.0,
                        };
                    }
                }
                Some(metric::Data::Histogram(histogram)) => {
                    for point in histogram
                        .data_points
                        .iter()
                        .filter(|p| matches(&p.attributes))
                    {
                        total += point.count as f64;
                    }
                }
                _ => {}
            }
        }
        total
    }

    /// The `error.type` values seen on `faas.errors`, with their sums.
    pub fn error_counts(&self) -> BTreeMap<String, f64> {
        let types: Vec<String> = {
            let received = self.received.lock().unwrap_or_else(|p| p.into_inner());
            received
                .metrics
                .iter()
                .flat_map(|r| &r.resource_metrics)
                .flat_map(|r| &r.scope_metrics)
                .flat_map(|s| &s.metrics)
                .filter(|m| m.name == "faas.errors")
                .filter_map(|m| match &m.data {
                    Some(metric::Data::Sum(sum)) => Some(sum),
                    _ => None,
                })
                .flat_map(|sum| &sum.data_points)
                .filter_map(|p| attributes(&p.attributes).remove("error.type"))
                .collect()
        };
        types
            .into_iter()
            .map(|t| {
                let sum = self.metric_sum("faas.errors", Some(("error.type", &t)));
                (t, sum)
            })
            .collect()
    }

    /// How many export requests arrived: (metrics, traces).
    pub fn requests(&self) -> (usize, usize) {
        let received = self.received.lock().unwrap_or_else(|p| p.into_inner());
        (received.metrics.len(), received.traces.len())
    }

    /// Requests that did not decode, with the reason.
    pub fn rejected(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .rejected
            .clone()
    }
}

/// What the receiver does with one request: keep it, decode it, answer
/// in its format.
async fn handle(
    request: Request<Incoming>,
    received: &Mutex<Received>,
    notify: &watch::Sender<u64>,
    tls: bool,
) -> Response<AnswerBody> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let format = Format::of(&parts.headers);
    let body = match body.collect().await {
        Ok(body) => body.to_bytes(),
        Err(error) => {
            let reason = format!("unreadable body: {error}");
            return formats::refusal(format, StatusCode::BAD_REQUEST, reason);
        }
    };
    let outcome = {
        let mut received = received.lock().unwrap_or_else(|p| p.into_inner());
        received.seen.push(SeenRequest {
            path: path.clone(),
            version: parts.version,
            format,
            headers: parts.headers.clone(),
            tls,
        });
        let refuse = received.refuse;
        let message = formats::message(format, &parts.headers, &body);
        let decoded = message.and_then(|message| match path.as_str() {
            "/v1/metrics" | GRPC_METRICS => {
                formats::decode::<ExportMetricsServiceRequest>(format, &message).map(|r| {
                    received.metrics.push(r);
                    formats::answer(format, &partial_metrics(refuse))
                })
            }
            "/v1/traces" | GRPC_TRACES => {
                formats::decode::<ExportTraceServiceRequest>(format, &message).map(|r| {
                    received.traces.push(r);
                    formats::answer(format, &partial_traces(refuse))
                })
            }
            other => Err(format!("unknown path {other}")),
        });
        if let Err(reason) = &decoded {
            received.rejected.push(format!("{path}: {reason}"));
        }
        decoded
    };
    notify.send_modify(|n| *n += 1);
    outcome.unwrap_or_else(|reason| formats::refusal(format, StatusCode::BAD_REQUEST, reason))
}

/// The answer to a metrics export, refusing `refuse` points if not 0.
fn partial_metrics(refuse: i64) -> ExportMetricsServiceResponse {
    ExportMetricsServiceResponse {
        partial_success: (refuse != 0).then(|| ExportMetricsPartialSuccess {
            rejected_data_points: refuse,
            error_message: "over the test's limit".into(),
        }),
    }
}

/// The answer to a trace export, refusing `refuse` spans if not 0.
fn partial_traces(refuse: i64) -> ExportTraceServiceResponse {
    ExportTraceServiceResponse {
        partial_success: (refuse != 0).then(|| ExportTracePartialSuccess {
            rejected_spans: refuse,
            error_message: "over the test's limit".into(),
        }),
    }
}

/// How to start an [`OtlpReceiver`].
#[derive(Debug, Default)]
pub struct ReceiverBuilder {
    refuse: i64,
    tls: Option<TestCertificates>,
}

impl ReceiverBuilder {
    /// Accepts every request that decodes, but answers with a
    /// `partial_success` refusing `items` of it.
    pub fn refusing(mut self, items: i64) -> Self {
        self.refuse = items;
        self
    }

    /// Speaks TLS (HTTP/1.1 or, by ALPN, HTTP/2) with `certificates`'
    /// server certificate; [`OtlpReceiver::endpoint`] is then `https://`.
    pub fn tls(mut self, certificates: &TestCertificates) -> Self {
        self.tls = Some(certificates.clone());
        self
    }

    /// Listens on `127.0.0.1:0`. HTTP/1.1 and HTTP/2 (prior knowledge in
    /// clear, ALPN over TLS) on the same port.
    pub async fn start(self) -> std::io::Result<OtlpReceiver> {
        let acceptor = self.tls.as_ref().map(acceptor).transpose()?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Received {
            refuse: self.refuse,
            ..Received::default()
        }));
        let (notify, changed) = watch::channel(0u64);
        let notify = Arc::new(notify);
        let shared = received.clone();
        let tls = acceptor.is_some();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (shared, notify, acceptor) = (shared.clone(), notify.clone(), acceptor.clone());
                tokio::spawn(async move {
                    match acceptor {
                        Some(acceptor) => {
                            // A client that gives up on the handshake is its business.
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(stream, shared, notify, true).await;
                            }
                        }
                        None => serve(stream, shared, notify, false).await,
                    }
                });
            }
        });
        Ok(OtlpReceiver {
            addr,
            tls,
            received,
            changed,
            task,
        })
    }
}

fn acceptor(certificates: &TestCertificates) -> std::io::Result<TlsAcceptor> {
    let invalid = |e: &dyn std::fmt::Display| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
    };
    let chain = CertificateDer::pem_slice_iter(certificates.server_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(&e))?;
    let key = PrivateKeyDer::from_pem_slice(certificates.server_key_pem.as_bytes())
        .map_err(|e| invalid(&e))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(&e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| invalid(&e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

async fn serve<S>(
    stream: S,
    shared: Arc<Mutex<Received>>,
    notify: Arc<watch::Sender<u64>>,
    tls: bool,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let (shared, notify) = (shared.clone(), notify.clone());
        async move { Ok::<_, Infallible>(handle(request, &shared, &notify, tls).await) }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attributes(list: &[KeyValue]) -> BTreeMap<String, String> {
    list.iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                Some(any_value::Value::BoolValue(b)) => b.to_string(),
                Some(any_value::Value::IntValue(i)) => i.to_string(),
                Some(any_value::Value::DoubleValue(d)) => d.to_string(),
                Some(other) => format!("{other:?}"),
                None => String::new(),
            };
            (kv.key.clone(), value)
        })
        .collect()
}
