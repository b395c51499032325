//! When the app is ready: an HTTP probe on a path (any status below 500,
//! as the Web Adapter counts it) or, without one, a TCP connect to its port.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::net::TcpStream;

/// The pause between connects while the app is young: an app that starts
/// in a millisecond or so (a compiled server) is seen listening within
/// this. The connects are made on a blocking thread, where a refused one
/// on loopback costs three system calls and the pause can be shorter than
/// tokio's timer, which counts whole milliseconds: its 1 ms sleep (often
/// 2) after the first refused probe made web mode's median cold start
/// 3.68 ms against the Web Adapter's 1.68 ms (`web-vs-adapter`, 31 rounds,
/// load 3.3); a 200 µs pause slept on the runtime's side still saw the app
/// 0.25 ms after it listened. With these connects (and the extension
/// registered during `FunctionStart`): 2.00 ms against 1.64 ms, from 3.51.
const FINE_INTERVAL: Duration = Duration::from_micros(100);

/// How long the fine-paced connects go on before the async schedule below
/// takes over: an app slower than this is not hurried by them, and a few
/// microseconds of CPU every 100 µs is a few percent of a core.
const FINE_PHASE: Duration = Duration::from_millis(20);

/// How long one fine-paced connect may take (a full accept backlog).
const FINE_ATTEMPT: Duration = Duration::from_millis(100);

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

/// Connects to `addr` every [`FINE_INTERVAL`], on a blocking thread, until
/// it accepts (`Ok`) or [`FINE_PHASE`] has passed. Dropping the future
/// stops the connects at the next pause.
async fn listening_soon(addr: SocketAddr) -> Result<(), NotReady> {
    /// Tells the blocking thread its waiter is gone.
    struct Abandoned(Arc<AtomicBool>);
    impl Drop for Abandoned {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let abandoned = Abandoned(Arc::new(AtomicBool::new(false)));
    let gone = abandoned.0.clone();
    let connects = tokio::task::spawn_blocking(move || {
        // Linux lets a thread's sleep run 50 µs late by default, half the
        // pause; the pool's thread gets its own slack back after.
        let slack = nix::sys::prctl::get_timerslack().ok();
        let _ = nix::sys::prctl::set_timerslack(1);
        let started = Instant::now();
        let result = loop {
            if gone.load(Ordering::Relaxed) {
                break Err(NotReady("the wait was given up".into()));
            }
            match std::net::TcpStream::connect_timeout(&addr, FINE_ATTEMPT) {
                Ok(_) => break Ok(()),
                Err(error) if started.elapsed() >= FINE_PHASE => {
                    break Err(NotReady(format!("the connect failed: {error}")))
                }
                Err(_) => std::thread::sleep(FINE_INTERVAL),
            }
        };
        if let Some(slack) = slack.and_then(|slack| u64::try_from(slack).ok()) {
            let _ = nix::sys::prctl::set_timerslack(slack);
        }
        result
    });
    let result = connects
        .await
        .unwrap_or_else(|error| Err(NotReady(format!("the connects stopped: {error}"))));
    drop(abandoned);
    result
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
        match (listening_soon(self.addr).await, &self.probe) {
            (Ok(()), Probe::Tcp) => return,
            // Listening: the HTTP probe below is made at once.
            (Ok(()), Probe::Http(_)) => {}
            (Err(not_ready), _) => last(not_ready),
        }
        let mut interval = FIRST_INTERVAL;
        loop {
            match self.once().await {
                Ok(()) => return,
                Err(not_ready) => last(not_ready),
            }
            tokio::time::sleep(interval).await;
            interval = (interval * 2).min(MAX_INTERVAL);
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

#[cfg(test)]
mod fine_phase_tests {
    use super::*;

    /// A loopback port nothing listens on (bound, read, released).
    fn free_port() -> SocketAddr {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
    }

    #[tokio::test]
    async fn a_port_that_starts_listening_late_is_seen_and_the_refusals_are_told() {
        let addr = free_port();
        let prober = Prober::new(Probe::Tcp, addr);
        let opener = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            std::net::TcpListener::bind(addr).unwrap()
        });
        let mut refusals = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(5),
            prober.until_ready(|not_ready| refusals.push(not_ready.to_string())),
        )
        .await
        .expect("the listener is seen");
        let _listener = opener.await.unwrap();
        // The fine-paced connects end in success: nothing was told.
        assert!(refusals.is_empty(), "{refusals:?}");
    }

    #[tokio::test]
    async fn a_dropped_wait_stops_connecting() {
        let addr = free_port();
        let prober = Prober::new(Probe::Tcp, addr);
        let waited =
            tokio::time::timeout(Duration::from_millis(2), prober.until_ready(|_| {})).await;
        assert!(waited.is_err(), "nothing listens yet");
        // Time for the blocking thread's pause to end; still within the
        // fine phase, so a connect it made now would be accepted.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let accepted = tokio::time::timeout(FINE_PHASE * 2, listener.accept()).await;
        assert!(accepted.is_err(), "a connect after the wait was dropped");
    }
}
