//! The proxy's handler: a `tower::Service` that hands each invocation to
//! the child and waits for its answer, so every layer, hook and plugin of
//! the runtime sees the child's invocations as its own.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use runtime_engine::{Invocation, InvocationError, Response};
use tokio::sync::oneshot;

use super::http_events::{event_for, response_for};
use super::next_headers::next_headers;
use super::queue::{Delivery, Handout, Reply};
use super::Proxy;

/// Forwards invocations to the child.
#[derive(Debug, Clone)]
pub(crate) struct ProxyService {
    proxy: Arc<Proxy>,
}

impl ProxyService {
    pub(crate) fn new(proxy: Arc<Proxy>) -> Self {
        ProxyService { proxy }
    }
}

impl tower::Service<Invocation> for ProxyService {
    type Response = Response;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), InvocationError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        Box::pin(forward(self.proxy.clone(), invocation))
    }
}

async fn forward(proxy: Arc<Proxy>, invocation: Invocation) -> Result<Response, InvocationError> {
    let mut ended = proxy.queue.ended();
    proxy.supervisor.ready().await?;
    let (payload, as_gateway) = event_for(&invocation, proxy.http_events)?;
    let context = &invocation.context;
    let request_id = context.request_id().to_owned();
    let (answer, answered) = oneshot::channel();
    proxy.queue.push(Handout {
        delivery: Delivery {
            request_id: request_id.clone(),
            headers: next_headers(context),
            payload,
        },
        answer,
    });
    tracing::debug!(
        as_gateway,
        "invocation {request_id} queued for the function's process"
    );
    let mut waiting = Waiting {
        proxy: &proxy,
        request_id: &request_id,
        answered: false,
    };
    let mut answered = answered;
    let answer = loop {
        tokio::select! {
            biased;
            answer = &mut answered => break answer,
            // A child ended while this invocation waited: if it was still
            // queued, it needs a new child to take it.
            Ok(()) = ended.changed() => proxy.supervisor.ready().await?,
            () = context.cancellation().cancelled() => {
                let name = context.function_name();
                return Err(InvocationError::timeout(match waiting.give_up() {
                    GaveUp::Held => format!(
                        "function `{name}` timed out: the deadline passed while its process held invocation {request_id}; the process was stopped and a new one starts for the next invocation"
                    ),
                    GaveUp::Idle => format!(
                        "function `{name}` timed out: the deadline passed while its process, holding no invocation, did not ask for invocation {request_id}; the process was stopped and a new one starts for the next invocation"
                    ),
                    GaveUp::Busy => format!(
                        "function `{name}` timed out: the deadline passed before its process, busy with other invocations, took invocation {request_id}"
                    ),
                }));
            }
        }
    };
    waiting.answered = true;
    match answer {
        Ok(Ok(Reply::Whole(body))) => response_for(body, as_gateway),
        Ok(Ok(Reply::Streamed(response))) => Ok(response),
        Ok(Err(error)) => Err(error),
        // The queue drops an answer's sender only after sending on it.
        Err(_) => Err(InvocationError::runtime(
            "Runtime.ExitError",
            "the function's process ended without answering",
        )),
    }
}

/// An invocation the platform waits for. If that wait ends without an
/// answer (deadline, shutdown, the engine dropping the handler), a later
/// answer from the child is refused and, if the child held the invocation,
/// the child is reset, as Lambda resets a sandbox after a timeout.
struct Waiting<'a> {
    proxy: &'a Arc<Proxy>,
    request_id: &'a str,
    answered: bool,
}

/// Where the child was with an invocation given up.
enum GaveUp {
    /// It held it: it is reset.
    Held,
    /// It held nothing and did not ask for it: it has stopped taking
    /// work, and is reset.
    Idle,
    /// It was busy with other invocations; it goes on with them.
    Busy,
}

impl Waiting<'_> {
    /// Stops waiting, resetting the child unless it is busy with others.
    fn give_up(&mut self) -> GaveUp {
        if std::mem::replace(&mut self.answered, true) {
            return GaveUp::Busy;
        }
        let gave_up = if self.proxy.queue.forget(self.request_id) {
            GaveUp::Held
        } else if self.proxy.queue.holds_any() {
            GaveUp::Busy
        } else {
            GaveUp::Idle
        };
        if !matches!(gave_up, GaveUp::Busy) {
            // Marked now, so no invocation is handed to this child again;
            // killed on its own task, as a drop cannot wait.
            self.proxy.supervisor.discard();
            let proxy = self.proxy.clone();
            tokio::spawn(async move { proxy.supervisor.reset().await });
        }
        gave_up
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.give_up();
    }
}
