//! [`RecordingHook`]: a [`Hook`] that writes down every phase it sees, so tests
//! can assert the order of phases, also across hooks.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use runtime_engine::{
    BoxError, Context, Ending, Flow, FunctionInfo, Hook, HookFuture, Invocation, Outcome, Phase,
};

/// One phase one hook saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The name of the hook that saw it.
    pub hook: String,
    /// The phase.
    pub phase: Phase,
    /// The invocation's request id, for `BeforeInvoke`, `AfterInvoke` and
    /// `AfterResponse`.
    pub request_id: Option<String>,
}

/// A log several [`RecordingHook`]s write into, so a test sees their
/// interleaving: before-phases in registration order, after-phases reversed.
///
/// ```
/// use light_runtime_testkit::recording::{RecordingHook, SharedLog};
///
/// let log = SharedLog::new();
/// let outer = RecordingHook::with_log("outer", log.clone());
/// let inner = RecordingHook::with_log("inner", log.clone());
/// # let _ = (outer, inner);
/// // ... register both, run ...
/// assert!(log.records().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct SharedLog(Arc<Mutex<Vec<Record>>>);

impl SharedLog {
    /// An empty log.
    pub fn new() -> Self {
        SharedLog::default()
    }

    /// Every record so far, in order.
    pub fn records(&self) -> Vec<Record> {
        self.lock().clone()
    }

    /// `(hook, phase)` pairs in order: the cross-hook sequence.
    pub fn sequence(&self) -> Vec<(String, Phase)> {
        self.lock()
            .iter()
            .map(|record| (record.hook.clone(), record.phase))
            .collect()
    }

    /// Panics, showing both sequences, unless the log holds exactly `expected`.
    pub fn assert_sequence(&self, expected: &[(&str, Phase)]) {
        let actual: Vec<String> = self
            .sequence()
            .iter()
            .map(|(hook, phase)| format!("{hook}:{phase}"))
            .collect();
        let expected: Vec<String> = expected
            .iter()
            .map(|(hook, phase)| format!("{hook}:{phase}"))
            .collect();
        assert_same("the shared log", &expected, &actual);
    }

    /// Forgets every record.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn push(&self, record: Record) {
        self.lock().push(record);
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Record>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for SharedLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.lock().iter()).finish()
    }
}

/// A [`Hook`] that records each phase it sees into a [`SharedLog`].
///
/// Clones share the log. It can be told to fail or panic at a phase, to test
/// how the engine treats a misbehaving hook.
///
/// ```
/// use light_runtime_testkit::recording::RecordingHook;
/// use runtime_engine::{FunctionInfo, Hook, Phase, Platform};
///
/// let hook = RecordingHook::new("audit").fail_at(Phase::FunctionStart);
/// hook.on_runtime_start(&FunctionInfo::new(Platform::Local, "f")).unwrap();
/// hook.assert_sequence(&[Phase::RuntimeStart]);
/// ```
#[derive(Clone)]
pub struct RecordingHook {
    name: String,
    log: SharedLog,
    fail_at: Vec<Phase>,
    panic_at: Vec<Phase>,
}

/// The error a [`RecordingHook`] returns at a phase it was told to fail at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookToldToFail {
    /// The hook's name.
    pub hook: String,
    /// The phase it failed at.
    pub phase: Phase,
}

impl fmt::Display for HookToldToFail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "recording hook `{}` told to fail at {}",
            self.hook, self.phase
        )
    }
}

impl std::error::Error for HookToldToFail {}

impl RecordingHook {
    /// A hook named `name` with a log of its own.
    pub fn new(name: impl Into<String>) -> Self {
        RecordingHook::with_log(name, SharedLog::new())
    }

    /// A hook named `name` that writes into `log`.
    pub fn with_log(name: impl Into<String>, log: SharedLog) -> Self {
        RecordingHook {
            name: name.into(),
            log,
            fail_at: Vec::new(),
            panic_at: Vec::new(),
        }
    }

    /// Return an error ([`HookToldToFail`]) at `phase`, after recording it.
    /// `End` cannot fail (its method returns nothing), so failing there does
    /// nothing; the hook never sees `Invoke`.
    pub fn fail_at(mut self, phase: Phase) -> Self {
        self.fail_at.push(phase);
        self
    }

    /// Panic at `phase`, after recording it.
    pub fn panic_at(mut self, phase: Phase) -> Self {
        self.panic_at.push(phase);
        self
    }

    /// The log this hook writes into (shared with its clones).
    pub fn shared_log(&self) -> &SharedLog {
        &self.log
    }

    /// Every record in the log, in order: this hook's and, if the log is
    /// shared, the other hooks' too.
    pub fn log(&self) -> Vec<Record> {
        self.log.records()
    }

    /// The phases this hook saw, in order.
    pub fn phases(&self) -> Vec<Phase> {
        self.log
            .lock()
            .iter()
            .filter(|record| record.hook == self.name)
            .map(|record| record.phase)
            .collect()
    }

    /// Panics, showing both sequences, unless this hook saw exactly `expected`.
    pub fn assert_sequence(&self, expected: &[Phase]) {
        let actual: Vec<String> = self.phases().iter().map(ToString::to_string).collect();
        let expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
        assert_same(&format!("hook `{}`", self.name), &expected, &actual);
    }

    /// Records `phase`, then panics or fails if told to.
    fn see(&self, phase: Phase, request_id: Option<&str>) -> Result<(), BoxError> {
        self.log.push(Record {
            hook: self.name.clone(),
            phase,
            request_id: request_id.map(str::to_owned),
        });
        if self.panic_at.contains(&phase) {
            panic!("recording hook `{}` told to panic at {phase}", self.name);
        }
        if self.fail_at.contains(&phase) {
            return Err(Box::new(HookToldToFail {
                hook: self.name.clone(),
                phase,
            }));
        }
        Ok(())
    }

    fn see_async(&self, phase: Phase, request_id: Option<&str>) -> HookFuture<'_> {
        match self.see(phase, request_id) {
            Ok(()) => HookFuture::done(),
            Err(error) => HookFuture::ready(Err(error)),
        }
    }
}

impl fmt::Debug for RecordingHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingHook")
            .field("name", &self.name)
            .field("fail_at", &self.fail_at)
            .field("panic_at", &self.panic_at)
            .finish_non_exhaustive()
    }
}

impl Hook for RecordingHook {
    fn name(&self) -> &str {
        &self.name
    }

    fn on_runtime_start(&self, _function: &FunctionInfo) -> Result<(), BoxError> {
        self.see(Phase::RuntimeStart, None)
    }

    fn on_function_start<'a>(&'a self, _function: &'a FunctionInfo) -> HookFuture<'a> {
        self.see_async(Phase::FunctionStart, None)
    }

    fn on_snapshot(&self) -> HookFuture<'_> {
        self.see_async(Phase::Snapshot, None)
    }

    fn on_restore(&self) -> HookFuture<'_> {
        self.see_async(Phase::Restore, None)
    }

    fn on_before_invoke(&self, invocation: &mut Invocation) -> Result<Flow, BoxError> {
        self.see(Phase::BeforeInvoke, Some(invocation.context.request_id()))?;
        Ok(Flow::Continue)
    }

    fn on_after_invoke(&self, context: &Context, _outcome: &mut Outcome) -> Result<(), BoxError> {
        self.see(Phase::AfterInvoke, Some(context.request_id()))
    }

    fn on_after_response<'a>(
        &'a self,
        context: &'a Context,
        _outcome: &'a Outcome,
    ) -> HookFuture<'a> {
        self.see_async(Phase::AfterResponse, Some(context.request_id()))
    }

    fn on_freeze(&self) -> HookFuture<'_> {
        self.see_async(Phase::Freeze, None)
    }

    fn on_close(&self) -> HookFuture<'_> {
        self.see_async(Phase::Close, None)
    }

    fn on_end(&self, _ending: &Ending) {
        // `End` cannot report failure; only `panic_at(End)` has an effect.
        let _ = self.see(Phase::End, None);
    }
}

/// Panics with a line-by-line comparison unless `expected == actual`.
fn assert_same(what: &str, expected: &[String], actual: &[String]) {
    if expected == actual {
        return;
    }
    let first_difference = expected
        .iter()
        .zip(actual)
        .position(|(e, a)| e != a)
        .unwrap_or(expected.len().min(actual.len()));
    let mut report = format!(
        "{what} saw a different sequence of phases (first difference at #{first_difference})\n\
         {:>4}  {:<32} actual\n",
        "#", "expected"
    );
    for i in 0..expected.len().max(actual.len()) {
        let e = expected.get(i).map_or("-", String::as_str);
        let a = actual.get(i).map_or("-", String::as_str);
        let mark = if e == a { ' ' } else { '!' };
        report.push_str(&format!("{mark}{i:>3}  {e:<32} {a}\n"));
    }
    panic!("{report}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_engine::{Budgets, Lifecycle, Platform};

    fn lifecycle(hooks: Vec<RecordingHook>) -> Lifecycle {
        let hooks = hooks
            .into_iter()
            .map(|hook| Box::new(hook) as Box<dyn Hook>)
            .collect();
        Lifecycle::new(
            FunctionInfo::new(Platform::Local, "f"),
            hooks,
            Budgets::default(),
        )
    }

    #[tokio::test]
    async fn records_the_onion_order_across_hooks() {
        let log = SharedLog::new();
        let outer = RecordingHook::with_log("outer", log.clone());
        let inner = RecordingHook::with_log("inner", log.clone());
        let lifecycle = lifecycle(vec![outer.clone(), inner.clone()]);
        lifecycle.runtime_start().unwrap();
        lifecycle.function_start().await.unwrap();
        lifecycle.close().await;
        lifecycle.end(0);

        log.assert_sequence(&[
            ("outer", Phase::RuntimeStart),
            ("inner", Phase::RuntimeStart),
            ("outer", Phase::FunctionStart),
            ("inner", Phase::FunctionStart),
            ("inner", Phase::Close),
            ("outer", Phase::Close),
            ("inner", Phase::End),
            ("outer", Phase::End),
        ]);
        outer.assert_sequence(&[
            Phase::RuntimeStart,
            Phase::FunctionStart,
            Phase::Close,
            Phase::End,
        ]);
        assert_eq!(inner.log().len(), 8);
    }

    #[tokio::test]
    async fn fails_and_panics_when_told() {
        let failing = RecordingHook::new("failing").fail_at(Phase::RuntimeStart);
        let error = lifecycle(vec![failing.clone()])
            .runtime_start()
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("recording hook `failing` told to fail at RuntimeStart"),
            "{error}"
        );
        failing.assert_sequence(&[Phase::RuntimeStart]);

        let panicking = RecordingHook::new("panicking").panic_at(Phase::FunctionStart);
        let error = lifecycle(vec![panicking.clone()])
            .function_start()
            .await
            .unwrap_err();
        assert!(error.to_string().contains("told to panic"), "{error}");
        panicking.assert_sequence(&[Phase::FunctionStart]);
    }

    #[test]
    #[should_panic(expected = "first difference at #1")]
    fn a_wrong_sequence_panics_with_a_diff() {
        let hook = RecordingHook::new("h");
        hook.on_runtime_start(&FunctionInfo::new(Platform::Local, "f"))
            .unwrap();
        hook.assert_sequence(&[Phase::RuntimeStart, Phase::FunctionStart]);
    }
}
