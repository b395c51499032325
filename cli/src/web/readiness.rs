//! When the app is ready: an HTTP probe on a path (any status below 500,
//! as the Web Adapter counts it) or, without one, a TCP connect to its port.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpStream;

/// The pause between probes while the app is young: an app that starts
/// in a millisecond or two (a compiled server) is seen listening within
/// this, and a refused connect on loopback costs a few microseconds. The
/// pause is slept on a blocking thread, as tokio's timer counts whole
/// milliseconds: its 1 ms sleep (often 2 ms) after the first refused probe
/// made web mode's median cold start 3.68 ms against the Web Adapter's
/// 1.68 ms (`web-vs-adapter`, 31 rounds, load 3.3).
const FINE_INTERVAL: Duration = Duration::from_micros(200);

/// How long after the first probe the pause stays [`FINE_INTERVAL`]: at
/// most ~100 probes, a few percent of a core, before the schedule below.
const FINE_PHASE: Duration = Duration::from_millis(20);

/// The pause after the fine phase, doubled after each failed probe up to
/// [`MAX_INTERVAL`]: init time is billed and the first request waits. A
/// flat 10 ms made 14 of 31 cold starts 10 ms slower than the Web
/// Adapter's (`web-vs-adapter`: the app was not listening yet at the first
/// probe).
const FIRST_INTERVAL: Duration = Duration::from_millis(1);

/// The longest pause between probes of an app that is slow to start.
const MAX_INTERVAL: Duration = Duration::from_millis(10);

/// How long one probe may take before it counts as not ready.
const ATTEMPT: Duration = Duration::from_secs(1);

/// Sleeps `pause`, shorter than tokio's millisecond timer can, on a
/// blocking thread; dropping the future leaves at most that pause behind.
async fn fine_pause(pause: Duration) {
    // A pool that cannot take the task (the runtime shutting down) means
    // no pause: the next probe or the caller's own end decides.
    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(pause)).await;
}

/// How the app's readiness is checked.
#[derive(Debug, Clone)]
pub(crate) enum Probe {
    /// `GET` this path; ready below 500.
    Http(String),
    /// A TCP connect to the app's port.
    Tcp,
}

/// One probe's result when the app is not ready, for the init error.
#[derive(Debug, Clone)]
pub(crate) struct NotReady(String);

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Probes one app address; its client is made once.
#[derive(Debug, Clone)]
pub(crate) struct Prober {
    probe: Probe,
    addr: SocketAddr,
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl Prober {
    pub(crate) fn new(probe: Probe, addr: SocketAddr) -> Self {
        // Probes do not keep connections: the app may count them as clients.
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build_http();
        Prober {
            probe,
            addr,
            client,
        }
    }

    /// What is probed, as a user reads it: `GET /health on 127.0.0.1:8080`.
    pub(crate) fn describe(&self) -> String {
        match &self.probe {
            Probe::Http(path) => format!("GET {path} on {}", self.addr),
            Probe::Tcp => format!("a TCP connect to {}", self.addr),
        }
    }

    /// Probes until the app is ready; `last` is told each failed probe.
    pub(crate) async fn until_ready(&self, mut last: impl FnMut(NotReady)) {
        let started = Instant::now();
        let mut interval = FIRST_INTERVAL;
        loop {
            match self.once().await {
                Ok(()) => return,
                Err(not_ready) => last(not_ready),
            }
            if started.elapsed() < FINE_PHASE {
                fine_pause(FINE_INTERVAL).await;
            } else {
                tokio::time::sleep(interval).await;
                interval = (interval * 2).min(MAX_INTERVAL);
            }
        }
    }

    /// One probe.
    async fn once(&self) -> Result<(), NotReady> {
        let attempt = async {
            match &self.probe {
                Probe::Tcp => TcpStream::connect(self.addr)
                    .await
                    .map(drop)
                    .map_err(|error| NotReady(format!("the connect failed: {error}"))),
                Probe::Http(path) => {
                    let uri = format!("http://{}{path}", self.addr);
                    let request = http::Request::get(uri)
                        .body(Empty::new())
                        .map_err(|error| {
                            NotReady(format!("the probe is not a request: {error}"))
                        })?;
                    match self.client.request(request).await {
                        Ok(response) if response.status().as_u16() < 500 => Ok(()),
                        Ok(response) => {
                            Err(NotReady(format!("the app answered {}", response.status())))
                        }
                        Err(error) => Err(NotReady(format!("the request failed: {error}"))),
                    }
                }
            }
        };
        tokio::time::timeout(ATTEMPT, attempt)
            .await
            .unwrap_or_else(|_| {
                Err(NotReady(format!(
                    "no answer within {} ms",
                    ATTEMPT.as_millis()
                )))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A server answering every request with `status`.
    async fn answering(status: u16) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buffer = [0u8; 1024];
                let _ = stream.read(&mut buffer).await;
                let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
                let _ = stream.write_all(reply.as_bytes()).await;
            }
        });
        addr
    }

    #[tokio::test]
    async fn a_status_below_500_is_ready_and_500_is_not() {
        let ready = Prober::new(Probe::Http("/health".into()), answering(404).await);
        tokio::time::timeout(Duration::from_secs(5), ready.until_ready(|_| {}))
            .await
            .expect("404 counts as ready");

        let failing = Prober::new(Probe::Http("/health".into()), answering(503).await);
        let mut seen = None;
        let waited = tokio::time::timeout(
            Duration::from_millis(300),
            failing.until_ready(|not_ready| seen = Some(not_ready.to_string())),
        )
        .await;
        assert!(waited.is_err(), "503 is not ready");
        assert_eq!(
            seen.as_deref(),
            Some("the app answered 503 Service Unavailable")
        );
        assert!(failing.describe().starts_with("GET /health on 127.0.0.1:"));
    }
}
