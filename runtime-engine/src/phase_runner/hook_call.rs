//! One hook's call in a phase: what the caller's closure gives back
//! ([`HookCall`]), what the runner makes of it ([`HookResult`]) and a
//! failure naming the hook ([`HookFailure`]).

use std::fmt;

use crate::error::BoxError;
use crate::hook::HookFuture;
use crate::panic;
use crate::phase::Phase;

/// What calling one hook's phase method gave.
#[derive(Debug)]
pub(crate) enum HookCall<'a> {
    /// The hook's work for the phase; nearly always already complete.
    Work(HookFuture<'a>),
    /// A `BeforeInvoke` hook answered in place of the handler (the caller
    /// keeps the answer): no hook after it runs.
    Answered,
}

impl<'a> From<HookFuture<'a>> for HookCall<'a> {
    fn from(future: HookFuture<'a>) -> Self {
        HookCall::Work(future)
    }
}

/// A synchronous phase method's result.
impl From<Result<(), BoxError>> for HookCall<'_> {
    fn from(result: Result<(), BoxError>) -> Self {
        HookCall::Work(HookFuture::ready(result))
    }
}

/// A hook's failure in a phase, naming both.
#[derive(Debug)]
pub(crate) struct HookFailure {
    pub(super) phase: Phase,
    pub(super) hook: String,
    pub(super) message: String,
}

impl fmt::Display for HookFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let HookFailure {
            phase,
            hook,
            message,
        } = self;
        write!(f, "{phase} hook `{hook}` failed: {message}")
    }
}

/// One hook's run, as the phase's rules see it.
pub(super) enum HookResult {
    Done,
    Answered,
    Failed(String),
}

impl HookResult {
    pub(super) fn panicked(payload: &(dyn std::any::Any + Send)) -> Self {
        HookResult::Failed(format!("panicked: {}", panic::describe(payload)))
    }
}

impl From<Result<(), BoxError>> for HookResult {
    fn from(result: Result<(), BoxError>) -> Self {
        match result {
            Ok(()) => HookResult::Done,
            Err(error) => HookResult::Failed(error.to_string()),
        }
    }
}
