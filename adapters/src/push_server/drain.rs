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

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1::Connection;
use hyper::service::HttpService;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::work::{InFlight, Work};

/// Tells open connections to finish their request and close, and waits
/// for them.
#[derive(Debug, Default)]
pub(crate) struct Drain {
    shared: Arc<Shared>,
    open: InFlight,
}

#[derive(Debug, Default)]
struct Shared {
    stopping: AtomicBool,
    next_id: AtomicU64,
    wakers: Mutex<HashMap<u64, Waker>>,
}

impl Drain {
    /// `connection`, closing after its current request once [`Drain::shutdown`] runs.
    pub(crate) fn watch<S>(&self, connection: Connection<TokioIo<TcpStream>, S>) -> Watched<S>
    where
        S: HttpService<Incoming>,
    {
        Watched {
            connection: Box::pin(connection),
            shared: self.shared.clone(),
            id: None,
            draining: false,
            _open: self.open.start(),
        }
    }

    /// Asks every connection to close after its current request and waits
    /// until all have, at most `budget`; `false` if some were still open.
    pub(crate) async fn shutdown(self, budget: Duration) -> bool {
        self.shared.stopping.store(true, Ordering::SeqCst);
        let wakers: Vec<Waker> = {
            let mut registered = self
                .shared
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
    connection: Pin<Box<Connection<TokioIo<TcpStream>, S>>>,
    shared: Arc<Shared>,
    id: Option<u64>,
    draining: bool,
    _open: Work,
}

impl<S: HttpService<Incoming>> Drop for Watched<S> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.shared
                .wakers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        }
    }
}

impl<S> Future for Watched<S>
where
    S: HttpService<Incoming, ResBody = Full<Bytes>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Output = Result<(), hyper::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if !this.draining {
            if this.id.is_none() {
                let id = this.shared.next_id.fetch_add(1, Ordering::Relaxed);
                this.shared
                    .wakers
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id, cx.waker().clone());
                this.id = Some(id);
            }
            // Read after registering (SeqCst, as is the store in `shutdown`):
            // a shutdown in between either sees the waker or is seen here.
            if this.shared.stopping.load(Ordering::SeqCst) {
                this.draining = true;
                this.connection.as_mut().graceful_shutdown();
            }
        }
        this.connection.as_mut().poll(cx)
    }
}
