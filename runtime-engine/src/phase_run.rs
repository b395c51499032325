//! One run of an asynchronous phase (`FunctionStart`, `AfterResponse`,
//! `Freeze`, `Close`): its hooks in order, timed, within the phase's budget.
//!
//! Hooks almost always return a [`HookFuture`] that is already complete, so
//! a phase is polled once and runs as a plain loop: no async state machine,
//! no timer. Only a pending future turns the rest of the run into an async
//! one (boxed), awaited under one tokio deadline for what is left of the
//! budget. Each phase is its own [`Ask`] type, so that its loop is compiled
//! for it (order, budget and table index known).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use crate::clock;
use crate::context::Context;
use crate::function::FunctionInfo;
use crate::hook::{Hook, HookFuture};
use crate::invocation::Outcome;
use crate::lifecycle::Lifecycle;
use crate::panic;
use crate::phase::Phase;
use crate::timings::Laps;

/// An asynchronous phase: which one, and what its hooks are given.
pub(crate) trait Ask<'a>: Copy + Send + Sync + Unpin + 'a {
    const PHASE: Phase;

    /// Calls `hook`'s method for the phase.
    fn on(self, hook: &'a dyn Hook) -> HookFuture<'a>;

    /// Init phases run in registration order and stop at the first
    /// failure; the others run in reverse and log failures.
    fn is_init() -> bool {
        Self::PHASE == Phase::FunctionStart
    }

    fn budget(lifecycle: &Lifecycle) -> Duration {
        let budgets = &lifecycle.budgets;
        match Self::PHASE {
            Phase::FunctionStart => budgets.function_start,
            Phase::AfterResponse => budgets.after_response,
            Phase::Freeze => budgets.freeze,
            _ => budgets.close,
        }
    }
}

/// `FunctionStart`, for the function's facts.
#[derive(Clone, Copy)]
pub(crate) struct FunctionStart<'a>(pub(crate) &'a FunctionInfo);

impl<'a> Ask<'a> for FunctionStart<'a> {
    const PHASE: Phase = Phase::FunctionStart;

    fn on(self, hook: &'a dyn Hook) -> HookFuture<'a> {
        hook.on_function_start(self.0)
    }
}

/// `AfterResponse`, for an answered invocation.
#[derive(Clone, Copy)]
pub(crate) struct AfterResponse<'a>(pub(crate) &'a Context, pub(crate) &'a Outcome);

impl<'a> Ask<'a> for AfterResponse<'a> {
    const PHASE: Phase = Phase::AfterResponse;

    fn on(self, hook: &'a dyn Hook) -> HookFuture<'a> {
        hook.on_after_response(self.0, self.1)
    }
}

/// `Freeze`.
#[derive(Clone, Copy)]
pub(crate) struct Freeze;

impl<'a> Ask<'a> for Freeze {
    const PHASE: Phase = Phase::Freeze;

    fn on(self, hook: &'a dyn Hook) -> HookFuture<'a> {
        hook.on_freeze()
    }
}

/// `Close`.
#[derive(Clone, Copy)]
pub(crate) struct Close;

impl<'a> Ask<'a> for Close {
    const PHASE: Phase = Phase::Close;

    fn on(self, hook: &'a dyn Hook) -> HookFuture<'a> {
        hook.on_close()
    }
}

/// Where a run is: its clock, the hooks still to call, and (init phases
/// only) its first failure.
struct PhaseRun<'a, A> {
    lifecycle: &'a Lifecycle,
    ask: A,
    laps: Laps,
    /// The indices of the hooks still to call: taken from the front in
    /// registration order, from the back in reverse.
    todo: &'a [usize],
    failure: Option<String>,
}

impl<'a, A: Ask<'a>> PhaseRun<'a, A> {
    #[inline]
    fn start(lifecycle: &'a Lifecycle, ask: A) -> Self {
        PhaseRun {
            lifecycle,
            ask,
            laps: Laps::start(clock::now()),
            todo: &lifecycle.interested[A::PHASE.index()],
            failure: None,
        }
    }

    /// Calls the hooks still to call while their futures are already
    /// complete; returns the first pending one with its hook's index, or
    /// `None` once the phase is over. Always inlined, like `finish_hook`:
    /// the whole ready path then is one function per phase (measured).
    #[inline(always)]
    fn run_ready(&mut self) -> Option<(usize, HookFuture<'a>)> {
        let lifecycle = self.lifecycle;
        loop {
            let (&index, rest) = if A::is_init() {
                self.todo.split_first()?
            } else {
                self.todo.split_last()?
            };
            self.todo = rest;
            let hook: &'a dyn Hook = &*lifecycle.hooks[index];
            let ask = self.ask;
            let outcome = match panic::catch(AssertUnwindSafe(|| ask.on(hook))) {
                Ok(future) => match future.into_ready() {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(error)) => Err(error.to_string()),
                    Err(pending) => return Some((index, pending)),
                },
                Err(payload) => Err(format!("panicked: {}", panic::describe(&*payload))),
            };
            if self.finish_hook(index, outcome) {
                self.todo = &[];
            }
        }
    }

    /// From the first pending future on: awaits each pending one under the
    /// phase's deadline, the complete ones still in a plain loop.
    async fn wait(mut self, mut index: usize, mut future: HookFuture<'a>) -> Result<(), String> {
        let budget = A::budget(self.lifecycle);
        // Armed on tokio's clock, so a paused test clock governs it too.
        let spent = Duration::from_nanos(clock::now().saturating_sub(self.laps.started()));
        let deadline = tokio::time::Instant::now() + budget.saturating_sub(spent);
        loop {
            let guarded = panic::CatchPanic::new(future);
            let outcome = match tokio::time::timeout_at(deadline, guarded).await {
                Ok(Ok(done)) => done.map_err(|e| e.to_string()),
                Ok(Err(payload)) => Err(format!("panicked: {}", panic::describe(&*payload))),
                Err(_) => Err(format!(
                    "did not finish within the {} ms {} budget",
                    budget.as_millis(),
                    A::PHASE
                )),
            };
            if self.finish_hook(index, outcome) {
                break;
            }
            match self.run_ready() {
                Some(pending) => (index, future) = pending,
                None => break,
            }
        }
        self.finish()
    }

    /// Times hook `index`'s run and notes its failure; true if the phase
    /// stops here.
    #[inline(always)]
    fn finish_hook(&mut self, index: usize, outcome: Result<(), String>) -> bool {
        self.laps.lap(&self.lifecycle.timings, index, A::PHASE);
        let Err(message) = outcome else {
            return false;
        };
        let message = failed(&*self.lifecycle.hooks[index], A::PHASE, message);
        // Only an init phase's caller reads the failure; elsewhere the log
        // line is all, and the ready path then carries no message at all.
        if A::is_init() && self.failure.is_none() {
            self.failure = Some(message);
        }
        A::is_init()
    }

    #[inline]
    fn finish(self) -> Result<(), String> {
        self.laps.finish(&self.lifecycle.timings, A::PHASE);
        match self.failure {
            None => Ok(()),
            Some(message) => Err(message),
        }
    }
}

/// Logs hook `hook`'s failure in `phase` and returns the message naming it.
/// Out of line, and a free function so that no `PhaseRun` has its address
/// taken (which would keep the ready path's state in memory).
#[cold]
#[inline(never)]
fn failed(hook: &dyn Hook, phase: Phase, message: String) -> String {
    let message = format!("{phase} hook `{}` failed: {message}", hook.name());
    tracing::warn!(hook = hook.name(), %phase, "{message}");
    message
}

/// One run of a phase, yielding an init phase's first failure (every
/// failure is logged): see
/// the module docs.
pub(crate) struct PhaseFuture<'a, A> {
    state: State<'a, A>,
}

enum State<'a, A> {
    /// Not polled yet: nothing has run.
    Start(&'a Lifecycle, A),
    /// A hook's future was pending; the rest of the run.
    Waiting(Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>),
    Done,
}

impl<'a, A: Ask<'a>> PhaseFuture<'a, A> {
    pub(crate) fn new(lifecycle: &'a Lifecycle, ask: A) -> Self {
        PhaseFuture {
            state: State::Start(lifecycle, ask),
        }
    }
}

impl<'a, A: Ask<'a>> Future for PhaseFuture<'a, A> {
    type Output = Result<(), String>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut run = match &mut this.state {
            State::Start(lifecycle, ask) => PhaseRun::start(lifecycle, *ask),
            State::Waiting(rest) => {
                let poll = rest.as_mut().poll(cx);
                if poll.is_ready() {
                    this.state = State::Done;
                }
                return poll;
            }
            State::Done => panic!("a phase polled after it finished"),
        };
        match run.run_ready() {
            None => {
                this.state = State::Done;
                Poll::Ready(run.finish())
            }
            Some((index, future)) => {
                let mut rest = Box::pin(run.wait(index, future));
                let poll = rest.as_mut().poll(cx);
                this.state = match poll {
                    Poll::Pending => State::Waiting(rest),
                    Poll::Ready(_) => State::Done,
                };
                poll
            }
        }
    }
}

/// A phase run whose failures are only logged, or nothing when the phase
/// has no hooks (then not timed either).
pub(crate) struct Logged<'a, A>(Option<PhaseFuture<'a, A>>);

impl<'a, A: Ask<'a>> Logged<'a, A> {
    #[inline]
    pub(crate) fn new(lifecycle: &'a Lifecycle, ask: A) -> Self {
        Logged(
            lifecycle
                .has_hooks_for(A::PHASE)
                .then(|| PhaseFuture::new(lifecycle, ask)),
        )
    }
}

impl<'a, A: Ask<'a>> Future for Logged<'a, A> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        match &mut self.get_mut().0 {
            None => Poll::Ready(()),
            Some(run) => Pin::new(run).poll(cx).map(|_| ()),
        }
    }
}
