//! [`Drain`]: graceful shutdown of open connections.
//!
//! hyper-util's `GracefulShutdown` polls a `watch` receiver (a mutex-guarded
//! waker update) every time a connection is polled, twice per request. Here
//! a connection registers its task's waker once and then only reads a flag:
//! a spawned task's waker wakes the same task for its whole life, so one
//! registration is enough.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::server::conn::http1::UpgradeableConnection;
use hyper::service::HttpService;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::in_flight::{InFlight, InFlightGuard};

/// Tells open connections to finish their request and close, and waits
/// for them.
#[derive(Debug, Default)]
pub(crate) struct Drain {
    stop: Arc<StopSignal>,
    open: InFlight,
}

/// The flag watched connections read, and the wakers to wake when it is set.
#[derive(Debug, Default)]
struct StopSignal {
    stopping: AtomicBool,
    next_id: AtomicU64,
    wakers: Mutex<HashMap<u64, Waker>>,
}

impl Drain {
    /// `connection`, closing after its current request once [`Drain::shutdown`] runs.
    /// A connection that was upgraded (a websocket) is no longer watched:
    /// its bytes belong to whoever took the upgrade.
    pub(crate) fn watch<S>(
        &self,
        connection: UpgradeableConnection<TokioIo<TcpStream>, S>,
    ) -> Watched<S>
    where
        S: HttpService<Incoming>,
    {
        Watched {
            connection: Box::pin(connection),
            stop: self.stop.clone(),
            id: None,
            draining: false,
            _open: self.open.start(),
        }
    }

    /// Asks every connection to close after its current request and waits
    /// until all have, at most `budget`; `false` if some were still open.
    pub(crate) async fn shutdown(self, budget: Duration) -> bool {
        self.stop.stopping.store(true, Ordering::SeqCst);
        let wakers: Vec<Waker> = {
            let mut registered = self
                .stop
                .wakers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            registered.drain().map(|(_, waker)| waker).collect()
        };
        wakers.into_iter().for_each(Waker::wake);
        self.open.wait_idle(budget).await
    }
}

/// A connection that closes gracefully once its [`Drain`] shuts down.
pub(crate) struct Watched<S: HttpService<Incoming>> {
    // Boxed once per connection, so this wrapper needs no pin projection.
    connection: Pin<Box<UpgradeableConnection<TokioIo<TcpStream>, S>>>,
    stop: Arc<StopSignal>,
    id: Option<u64>,
    draining: bool,
    _open: InFlightGuard,
}

impl<S: HttpService<Incoming>> Drop for Watched<S> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.stop
                .wakers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        }
    }
}

impl<S> Future for Watched<S>
where
    S: HttpService<Incoming>,
    S::ResBody: Body + 'static,
    <S::ResBody as Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Output = Result<(), hyper::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if !this.draining {
            if this.id.is_none() {
                let id = this.stop.next_id.fetch_add(1, Ordering::Relaxed);
                this.stop
                    .wakers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id, cx.waker().clone());
                this.id = Some(id);
            }
            // Read after registering (SeqCst, as is the store in `shutdown`):
            // a shutdown in between either sees the waker or is seen here.
            if this.stop.stopping.load(Ordering::SeqCst) {
                this.draining = true;
                this.connection.as_mut().graceful_shutdown();
            }
        }
        this.connection.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::time::Duration;

    use bytes::Bytes;
    use http_body_util::Full;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::time::timeout;

    use super::Drain;

    const WAIT: Duration = Duration::from_secs(5);
    const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nhost: test\r\n\r\n";

    /// A drain watching one server connection whose every request takes
    /// `work` to answer, and the client's end of it.
    async fn connected(work: Duration) -> (Drain, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let service = service_fn(move |_request| async move {
            tokio::time::sleep(work).await;
            Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"done"))))
        });
        let connection = http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let drain = Drain::default();
        let watched = drain.watch(connection);
        tokio::spawn(watched);
        (drain, client)
    }

    /// Everything the server sends until it closes the connection.
    async fn read_to_close(client: &mut TcpStream) -> String {
        let mut received = Vec::new();
        timeout(WAIT, client.read_to_end(&mut received))
            .await
            .expect("the server closes the connection")
            .unwrap();
        String::from_utf8(received).unwrap()
    }

    #[tokio::test]
    async fn an_idle_keep_alive_connection_is_closed() {
        let (drain, mut client) = connected(Duration::ZERO).await;
        client.write_all(REQUEST).await.unwrap();
        let mut first = [0u8; 256];
        let n = timeout(WAIT, client.read(&mut first))
            .await
            .unwrap()
            .unwrap();
        assert!(first[..n].ends_with(b"done"), "answered and kept open");

        let budget = Duration::from_secs(2);
        assert!(timeout(WAIT, drain.shutdown(budget)).await.unwrap());
        assert_eq!(
            read_to_close(&mut client).await,
            "",
            "closed, nothing more sent"
        );
    }

    #[tokio::test]
    async fn a_request_in_flight_is_answered_before_the_connection_closes() {
        let (drain, mut client) = connected(Duration::from_millis(200)).await;
        client.write_all(REQUEST).await.unwrap();
        // Let the request reach the service before shutting down.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let shutdown = tokio::spawn(drain.shutdown(Duration::from_secs(2)));
        let received = read_to_close(&mut client).await;
        assert!(received.starts_with("HTTP/1.1 200 OK"), "{received}");
        assert!(received.ends_with("done"), "{received}");
        assert!(
            timeout(WAIT, shutdown).await.unwrap().unwrap(),
            "all closed"
        );
    }

    #[tokio::test]
    async fn shutdown_gives_up_after_its_budget() {
        let (drain, mut client) = connected(Duration::from_secs(2)).await;
        client.write_all(REQUEST).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let all_closed = timeout(WAIT, drain.shutdown(Duration::from_millis(100)))
            .await
            .expect("shutdown keeps to its budget");
        assert!(!all_closed, "the slow request was still open");
    }
}
