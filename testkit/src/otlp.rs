//! [`OtlpReceiver`]: an OTLP/HTTP collector on `127.0.0.1` that decodes
//! protobuf metrics (`/v1/metrics`) and spans (`/v1/traces`) with
//! `opentelemetry-proto` and keeps them for assertions.
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

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::watch;

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
    /// Items to refuse in each accepted request's `partial_success`.
    refuse: i64,
}

/// The receiver; see the module docs. Stops when dropped.
#[derive(Debug)]
pub struct OtlpReceiver {
    addr: SocketAddr,
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
        Self::start_refusing(0).await
    }

    /// Listens on `127.0.0.1:0` and accepts every request that decodes, but
    /// answers it with a `partial_success` refusing `items` of it (data
    /// points or spans), as a collector over its limits does.
    pub async fn start_refusing(items: i64) -> std::io::Result<OtlpReceiver> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Received {
            refuse: items,
            ..Received::default()
        }));
        let (notify, changed) = watch::channel(0u64);
        let notify = Arc::new(notify);
        let shared = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (shared, notify) = (shared.clone(), notify.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let (shared, notify) = (shared.clone(), notify.clone());
                        async move { Ok::<_, Infallible>(handle(request, &shared, &notify).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(OtlpReceiver {
            addr,
            received,
            changed,
            task,
        })
    }

    /// The base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
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

async fn handle(
    request: Request<Incoming>,
    received: &Mutex<Received>,
    notify: &watch::Sender<u64>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(error) => return reply(StatusCode::BAD_REQUEST, format!("unreadable body: {error}")),
    };
    let outcome = {
        let mut received = received.lock().unwrap_or_else(|p| p.into_inner());
        let refuse = received.refuse;
        let decoded = match path.as_str() {
            "/v1/metrics" => ExportMetricsServiceRequest::decode(body)
                .map(|r| received.metrics.push(r))
                .map(|()| partial_metrics(refuse))
                .map_err(|e| e.to_string()),
            "/v1/traces" => ExportTraceServiceRequest::decode(body)
                .map(|r| received.traces.push(r))
                .map(|()| partial_traces(refuse))
                .map_err(|e| e.to_string()),
            other => Err(format!("unknown path {other}")),
        };
        if let Err(reason) = &decoded {
            received.rejected.push(format!("{path}: {reason}"));
        }
        decoded
    };
    notify.send_modify(|n| *n += 1);
    match outcome {
        Ok(answer) => Response::builder()
            .header("content-type", "application/x-protobuf")
            .body(Full::new(Bytes::from(answer)))
            .expect("a valid response"),
        Err(reason) => reply(StatusCode::BAD_REQUEST, reason),
    }
}

/// The answer to a metrics export: empty, or refusing `refuse` points.
fn partial_metrics(refuse: i64) -> Vec<u8> {
    use opentelemetry_proto::tonic::collector::metrics::v1::{
        ExportMetricsPartialSuccess, ExportMetricsServiceResponse,
    };
    if refuse == 0 {
        return Vec::new();
    }
    ExportMetricsServiceResponse {
        partial_success: Some(ExportMetricsPartialSuccess {
            rejected_data_points: refuse,
            error_message: "over the test's limit".into(),
        }),
    }
    .encode_to_vec()
}

/// The answer to a trace export: empty, or refusing `refuse` spans.
fn partial_traces(refuse: i64) -> Vec<u8> {
    use opentelemetry_proto::tonic::collector::trace::v1::{
        ExportTracePartialSuccess, ExportTraceServiceResponse,
    };
    if refuse == 0 {
        return Vec::new();
    }
    ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: refuse,
            error_message: "over the test's limit".into(),
        }),
    }
    .encode_to_vec()
}

fn reply(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
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
