//! The OTLP endpoint a full-stack bootstrap exports to during one run
//! (`e2e --full-stack`): a live receiver (`light_runtime_testkit::otlp`) or
//! a dead one that accepts TCP connections and never answers.
//!
//! Both run on the run's tokio runtime, in the harness process, like the
//! emulator: started after it and dropped with it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use light_runtime_testkit::otlp::OtlpReceiver;
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// Which endpoint `OTEL_EXPORTER_OTLP_ENDPOINT` points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Otlp {
    /// An OTLP/HTTP receiver that decodes and keeps what it gets.
    Live,
    /// A loopback port that accepts connections, holds them and never
    /// answers: every export waits for its time limit.
    Dead,
}

impl Otlp {
    /// `live` or `dead`, in file names and the JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Otlp::Live => "live",
            Otlp::Dead => "dead",
        }
    }
}

/// The environment of a full-stack bootstrap besides the endpoint: every
/// span sampled (no X-Ray header comes from the emulator, so the default
/// parent-based sampler would record nothing), JSON log lines at `info`.
pub const FULL_STACK_ENV: [(&str, &str); 3] = [
    ("OTEL_TRACES_SAMPLER", "always_on"),
    ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
    ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
];

/// A running endpoint. Stops when dropped.
#[derive(Debug)]
pub enum Endpoint {
    /// See [`Otlp::Live`].
    Live(OtlpReceiver),
    /// See [`Otlp::Dead`].
    Dead(DeadEndpoint),
}

impl Endpoint {
    /// Starts an endpoint of `kind` on `127.0.0.1`, on the current tokio runtime.
    pub async fn start(kind: Otlp) -> Result<Endpoint, String> {
        match kind {
            Otlp::Live => OtlpReceiver::start()
                .await
                .map(Endpoint::Live)
                .map_err(|error| format!("cannot start the OTLP receiver: {error}")),
            Otlp::Dead => DeadEndpoint::start()
                .await
                .map(Endpoint::Dead)
                .map_err(|error| format!("cannot start the dead OTLP endpoint: {error}")),
        }
    }

    /// The value of `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn url(&self) -> String {
        match self {
            Endpoint::Live(receiver) => receiver.endpoint(),
            Endpoint::Dead(dead) => format!("http://{}", dead.addr),
        }
    }

    /// The full-stack environment pointed at this endpoint.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![("OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(), self.url())];
        env.extend(
            FULL_STACK_ENV
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned())),
        );
        env
    }

    /// What the endpoint saw, once the bootstrap has exited (its `Close`
    /// export is then done). For the live receiver, waits up to `settle` for
    /// the spans of `invocations` invocations, in case the last request is
    /// still being decoded.
    pub async fn summary(&self, invocations: usize, settle: Duration) -> Received {
        match self {
            Endpoint::Live(receiver) => {
                receiver
                    .wait_until(settle, |r| r.spans().len() >= invocations)
                    .await;
                let (metric_requests, trace_requests) = receiver.requests();
                Received {
                    otlp: Otlp::Live,
                    connections: None,
                    metric_requests,
                    trace_requests,
                    spans: receiver.spans().len(),
                    invocations_metric: receiver.metric_sum("faas.invocations", None),
                    coldstarts_metric: receiver.metric_sum("faas.coldstarts", None),
                    rejected: receiver.rejected().len(),
                }
            }
            Endpoint::Dead(dead) => Received {
                otlp: Otlp::Dead,
                connections: Some(dead.accepted.load(Ordering::Relaxed)),
                metric_requests: 0,
                trace_requests: 0,
                spans: 0,
                invocations_metric: 0.0,
                coldstarts_metric: 0.0,
                rejected: 0,
            },
        }
    }
}

/// What an endpoint received over one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// Which endpoint.
    pub otlp: Otlp,
    /// Connections the dead endpoint accepted (and never answered).
    pub connections: Option<usize>,
    /// OTLP export requests for `/v1/metrics`.
    pub metric_requests: usize,
    /// OTLP export requests for `/v1/traces`.
    pub trace_requests: usize,
    /// Spans received.
    pub spans: usize,
    /// The sum of `faas.invocations` over every export.
    pub invocations_metric: f64,
    /// The sum of `faas.coldstarts` over every export.
    pub coldstarts_metric: f64,
    /// Requests that did not decode.
    pub rejected: usize,
}

impl Received {
    /// Whether everything recorded over `invocations` invocations arrived:
    /// one span and one counted invocation each, one cold start, nothing
    /// rejected. Always true for the dead endpoint.
    pub fn complete(&self, invocations: usize) -> bool {
        self.otlp == Otlp::Dead
            || (self.spans == invocations
                && self.invocations_metric == invocations as f64
                && self.coldstarts_metric == 1.0
                && self.rejected == 0)
    }
}

/// A listener on `127.0.0.1:0` that accepts every connection and holds it
/// open without reading or answering, until dropped.
#[derive(Debug)]
pub struct DeadEndpoint {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl DeadEndpoint {
    /// Listens on `127.0.0.1:0`.
    pub async fn start() -> std::io::Result<DeadEndpoint> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::Relaxed);
                held.push(stream);
            }
        });
        Ok(DeadEndpoint {
            addr,
            accepted,
            task,
        })
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

impl Drop for DeadEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Received {
    /// One line on what an endpoint received over `invocations`.
    pub fn note(&self, invocations: usize) -> String {
        let received = self;
        match received.otlp {
            Otlp::Live => format!(
                "live OTLP receiver got {} metric and {} trace requests, {} spans, faas.invocations = {}, \
                 faas.coldstarts = {}, {} rejected, for {invocations} invocations: {}",
                received.metric_requests,
                received.trace_requests,
                received.spans,
                received.invocations_metric,
                received.coldstarts_metric,
                received.rejected,
                if received.complete(invocations) {
                    "complete"
                } else {
                    "INCOMPLETE"
                }
            ),
            Otlp::Dead => format!(
                "dead OTLP endpoint accepted {} connection(s) and answered none",
                received.connections.unwrap_or(0)
            ),
        }
    }

    /// What an endpoint received, as JSON.
    pub fn json(&self) -> Value {
        let received = self;
        json!({
            "endpoint": received.otlp.name(),
            "connections": received.connections,
            "metric_requests": received.metric_requests,
            "trace_requests": received.trace_requests,
            "spans": received.spans,
            "faas.invocations": received.invocations_metric,
            "faas.coldstarts": received.coldstarts_metric,
            "rejected": received.rejected,
        })
    }
}
