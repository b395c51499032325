//! The invocations between the platform and the child: those waiting for
//! the child's `next`, those the child holds (by request id, until it
//! answers), and the child's init handshake.
//!
//! Every invocation handed in here gets exactly one answer: the child's
//! first `/response` or `/error` for its id, or, if the child dies first,
//! `Runtime.ExitError`. Later answers for the same id are refused.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::HeaderMap;
use runtime_engine::{InvocationError, Response};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;

use crate::child::Exit;

/// What the child answered for one invocation.
pub(crate) type Answer = Result<Reply, InvocationError>;

/// A successful answer from the child.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A buffered `/response` body.
    Whole(Bytes),
    /// A streamed `/response`, its chunks forwarded as they arrive.
    Streamed(Response),
}

/// How many answered request ids are remembered, to tell a second answer
/// (refused with 403, as Lambda does) from an unknown id (400).
const FINISHED_REMEMBERED: usize = 1024;

/// What `next` gives the child for one invocation.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) request_id: String,
    /// The `next` response's headers (request id, deadline, ARN, ...).
    pub(crate) headers: HeaderMap,
    pub(crate) payload: Bytes,
}

/// One invocation on its way to the child, and where its answer goes.
#[derive(Debug)]
pub(crate) struct Handout {
    pub(crate) delivery: Delivery,
    pub(crate) answer: oneshot::Sender<Answer>,
}

/// How the child's init ended: it asked for its first invocation, or it
/// posted `/init/error`.
#[derive(Debug)]
pub(crate) enum InitSignal {
    Ready,
    Failed { error_type: String, message: String },
}

/// Why the Runtime API refuses an answer, in Lambda's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 400 `InvalidRequestID`: no such invocation was handed out.
    UnknownId,
    /// 403 `InvalidStateTransition`: already answered, or init already over.
    InvalidState,
}

/// The shared state; see the module docs.
#[derive(Debug)]
pub(crate) struct Queue {
    waiting: mpsc::UnboundedSender<Handout>,
    /// Taken by one `next` call at a time, so concurrent `next` calls each
    /// get their own invocation in arrival order.
    receiver: tokio::sync::Mutex<mpsc::UnboundedReceiver<Handout>>,
    state: Mutex<State>,
    /// Counts the children's ends, so invocations still waiting for `next`
    /// know to have a new child started.
    ended: watch::Sender<u64>,
}

#[derive(Debug)]
struct State {
    held: HashMap<String, oneshot::Sender<Answer>>,
    finished: VecDeque<String>,
    /// Counts the child's lives; a child's exit only clears its own.
    generation: u64,
    /// Whether the current generation's end has been handled (also before
    /// the first child).
    gone: bool,
    init: Option<oneshot::Sender<InitSignal>>,
    /// The child's connections, aborted when it dies so that a `next` it
    /// left waiting never takes an invocation meant for the next child.
    connections: JoinSet<()>,
}

impl Queue {
    pub(crate) fn new() -> Self {
        let (waiting, receiver) = mpsc::unbounded_channel();
        Queue {
            waiting,
            receiver: tokio::sync::Mutex::new(receiver),
            state: Mutex::new(State {
                held: HashMap::new(),
                finished: VecDeque::new(),
                generation: 0,
                gone: true,
                init: None,
                connections: JoinSet::new(),
            }),
            ended: watch::Sender::new(0),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `handout` for the child's next `next`.
    pub(crate) fn push(&self, handout: Handout) {
        // The receiver lives as long as the queue: sending cannot fail.
        let _ = self.waiting.send(handout);
    }

    /// The child called `next`: during init, that ends init.
    pub(crate) fn called_next(&self) {
        if let Some(init) = self.state().init.take() {
            let _ = init.send(InitSignal::Ready);
        }
    }

    /// The next invocation for the child, once there is one; it is held
    /// for the child from then on. Invocations whose caller gave up while
    /// they waited (deadline, shutdown) are skipped.
    pub(crate) async fn next(&self) -> Delivery {
        let mut receiver = self.receiver.lock().await;
        loop {
            let Some(handout) = receiver.recv().await else {
                // Unreachable: `self.waiting` keeps the channel open.
                std::future::pending::<()>().await;
                continue;
            };
            if handout.answer.is_closed() {
                continue;
            }
            let Handout { delivery, answer } = handout;
            self.state()
                .held
                .insert(delivery.request_id.clone(), answer);
            return delivery;
        }
    }

    /// Whether the child holds `request_id` now, else why an answer for
    /// it would be refused.
    pub(crate) fn check(&self, request_id: &str) -> Result<(), Refusal> {
        let state = self.state();
        if state.held.contains_key(request_id) {
            Ok(())
        } else if state.finished.iter().any(|done| done == request_id) {
            Err(Refusal::InvalidState)
        } else {
            Err(Refusal::UnknownId)
        }
    }

    /// The child's answer for `request_id`: delivered if it is the first.
    pub(crate) fn answer(&self, request_id: &str, answer: Answer) -> Result<(), Refusal> {
        let mut state = self.state();
        let Some(sender) = state.held.remove(request_id) else {
            drop(state);
            return self.check(request_id);
        };
        remember(&mut state, request_id);
        drop(state);
        let _ = sender.send(answer);
        Ok(())
    }

    /// The platform no longer waits for `request_id` (deadline, shutdown):
    /// whatever the child answers later is refused. Returns whether the
    /// child held it.
    pub(crate) fn forget(&self, request_id: &str) -> bool {
        let mut state = self.state();
        let held = state.held.remove(request_id).is_some();
        if held {
            remember(&mut state, request_id);
        }
        held
    }

    /// Whether the child holds any invocation now.
    pub(crate) fn holds_any(&self) -> bool {
        !self.state().held.is_empty()
    }

    /// A new child is starting: its generation, and how its init ends.
    /// Whatever the previous child left is ended first, so no two
    /// generations ever overlap.
    pub(crate) fn start_generation(&self) -> (u64, oneshot::Receiver<InitSignal>) {
        let (sender, receiver) = oneshot::channel();
        let mut state = self.state();
        let previous = state.generation;
        drop(state);
        self.child_gone(previous, Exit::default());
        state = self.state();
        state.generation += 1;
        state.gone = false;
        state.init = Some(sender);
        (state.generation, receiver)
    }

    /// The child posted `/init/error`: refused once init is over.
    pub(crate) fn init_error(&self, error_type: String, message: String) -> Result<(), Refusal> {
        match self.state().init.take() {
            Some(init) => {
                let _ = init.send(InitSignal::Failed {
                    error_type,
                    message,
                });
                Ok(())
            }
            None => Err(Refusal::InvalidState),
        }
    }

    /// The child of `generation` has ended with `exit`: every invocation
    /// it held fails with `Runtime.ExitError`, its connections are closed.
    /// Nothing happens if that child's end was already handled.
    pub(crate) fn child_gone(&self, generation: u64, exit: Exit) {
        let mut state = self.state();
        if state.generation != generation || state.gone {
            return;
        }
        state.gone = true;
        state.init = None;
        state.connections.abort_all();
        let held: Vec<_> = state.held.drain().collect();
        for (request_id, _) in &held {
            remember(&mut state, request_id);
        }
        drop(state);
        for (_, sender) in held {
            let _ = sender.send(Err(InvocationError::runtime(
                "Runtime.ExitError",
                format!("the function's process exited before answering: {exit}"),
            )));
        }
        // After the answers, so a held invocation sees its answer first.
        self.ended.send_modify(|ends| *ends += 1);
    }

    /// Changes each time a child's end is handled.
    pub(crate) fn ended(&self) -> watch::Receiver<u64> {
        self.ended.subscribe()
    }

    /// Runs one connection from the child until it closes or the child dies.
    pub(crate) fn track(&self, connection: impl Future<Output = ()> + Send + 'static) {
        let mut state = self.state();
        while state.connections.try_join_next().is_some() {}
        state.connections.spawn(connection);
    }
}

fn remember(state: &mut State, request_id: &str) {
    if state.finished.len() == FINISHED_REMEMBERED {
        state.finished.pop_front();
    }
    state.finished.push_back(request_id.to_owned());
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn handout(id: &str) -> (Handout, oneshot::Receiver<Answer>) {
        let (answer, answered) = oneshot::channel();
        let delivery = Delivery {
            request_id: id.into(),
            headers: HeaderMap::new(),
            payload: Bytes::from_static(b"{}"),
        };
        (Handout { delivery, answer }, answered)
    }

    async fn next(queue: &Queue) -> Delivery {
        tokio::time::timeout(Duration::from_secs(5), queue.next())
            .await
            .expect("an invocation is waiting")
    }

    #[tokio::test]
    async fn the_first_answer_is_delivered_and_later_ones_are_refused() {
        let queue = Queue::new();
        let (first, answered) = handout("a");
        queue.push(first);
        assert_eq!(
            queue.check("a"),
            Err(Refusal::UnknownId),
            "not handed out yet"
        );
        assert_eq!(next(&queue).await.request_id, "a");
        assert_eq!(queue.check("a"), Ok(()));
        let body = Bytes::from_static(b"1");
        assert_eq!(queue.answer("a", Ok(Reply::Whole(body))), Ok(()));
        assert!(matches!(answered.await, Ok(Ok(Reply::Whole(b))) if b.as_ref() == b"1"));
        let again = queue.answer("a", Ok(Reply::Whole(Bytes::new())));
        assert_eq!(again, Err(Refusal::InvalidState));
        let stray = queue.answer("zzz", Ok(Reply::Whole(Bytes::new())));
        assert_eq!(stray, Err(Refusal::UnknownId));
    }

    #[tokio::test]
    async fn an_invocation_given_up_while_waiting_never_reaches_the_child() {
        let queue = Queue::new();
        let (gone, answered) = handout("gone");
        drop(answered);
        queue.push(gone);
        let (kept, _answered) = handout("kept");
        queue.push(kept);
        assert_eq!(next(&queue).await.request_id, "kept");
    }

    #[tokio::test]
    async fn a_dead_childs_invocations_fail_once_and_only_for_its_generation() {
        let queue = Queue::new();
        let (generation, init) = queue.start_generation();
        queue.called_next();
        assert!(matches!(init.await, Ok(InitSignal::Ready)));
        let (held, answered) = handout("held");
        queue.push(held);
        next(&queue).await;
        queue.child_gone(generation + 1, Exit::default());
        assert_eq!(queue.check("held"), Ok(()), "another generation's end");
        queue.child_gone(generation, Exit::default());
        let error = answered.await.unwrap().unwrap_err();
        assert_eq!(error.error_type(), "Runtime.ExitError");
        assert_eq!(queue.check("held"), Err(Refusal::InvalidState));
        let late = queue.init_error("Late".into(), "too late".into());
        assert_eq!(late, Err(Refusal::InvalidState));
    }

    #[tokio::test]
    async fn a_forgotten_invocation_refuses_the_childs_late_answer() {
        let queue = Queue::new();
        let (held, _answered) = handout("slow");
        queue.push(held);
        next(&queue).await;
        assert!(queue.forget("slow"));
        assert!(!queue.forget("slow"));
        let late = queue.answer("slow", Ok(Reply::Whole(Bytes::new())));
        assert_eq!(late, Err(Refusal::InvalidState));
    }
}
