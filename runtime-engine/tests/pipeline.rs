//! The invocation guarantees of `HookService`: onion order, short-circuit,
//! exactly one outcome on error, panic and timeout.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use runtime_engine::{
    BoxError, Budgets, Context, Deadline, ErrorKind, Flow, FunctionInfo, Hook, HookFuture,
    Invocation, InvocationError, Lifecycle, Outcome, Phase, Platform, Response,
};
use tower::{service_fn, Layer, ServiceExt};

type Log = Arc<Mutex<Vec<String>>>;

struct Named {
    name: &'static str,
    log: Log,
    respond_early: bool,
    fail_before: bool,
}

impl Named {
    fn new(name: &'static str, log: &Log) -> Self {
        Named {
            name,
            log: log.clone(),
            respond_early: false,
            fail_before: false,
        }
    }
    fn push(&self, what: &str) {
        self.log
            .lock()
            .unwrap()
            .push(format!("{}:{what}", self.name));
    }
}

impl Hook for Named {
    fn name(&self) -> &str {
        self.name
    }
    fn on_before_invoke(&self, _: &mut Invocation) -> Result<Flow, BoxError> {
        self.push("before");
        if self.fail_before {
            return Err("policy says no".into());
        }
        if self.respond_early {
            return Ok(Flow::Respond(Outcome::Response(Response::json(
                "\"cached\"",
            ))));
        }
        Ok(Flow::Continue)
    }
    fn on_after_invoke(&self, _: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
        let what = if outcome.is_error() {
            "after(error)"
        } else {
            "after(ok)"
        };
        self.push(what);
        Ok(())
    }
    fn on_freeze(&self) -> HookFuture<'_> {
        self.push("freeze");
        HookFuture::done()
    }
    fn on_close(&self) -> HookFuture<'_> {
        HookFuture::new(async move {
            self.push("close");
            Ok(())
        })
    }
}

fn lifecycle(hooks: Vec<Box<dyn Hook>>) -> Arc<Lifecycle> {
    Arc::new(Lifecycle::new(
        FunctionInfo::new(Platform::Local, "test-fn"),
        hooks,
        Budgets::default(),
    ))
}

async fn invoke_with<H, F>(
    lifecycle: &Arc<Lifecycle>,
    deadline: Option<Duration>,
    handler: H,
) -> Outcome
where
    H: Fn(Invocation) -> F + Clone + Send + 'static,
    F: std::future::Future<Output = Result<Response, BoxError>> + Send + 'static,
{
    let service = lifecycle.layer().layer(service_fn(handler));
    let mut builder = lifecycle.context("req-1");
    if let Some(timeout) = deadline {
        builder = builder.deadline(Deadline::after(timeout));
    }
    service
        .oneshot(Invocation::new(builder.build(), "{}"))
        .await
        .unwrap()
}

async fn echo(invocation: Invocation) -> Result<Response, BoxError> {
    Ok(Response::json(invocation.payload))
}

#[tokio::test]
async fn before_runs_in_order_and_after_in_reverse() {
    let log = Log::default();
    let lc = lifecycle(vec![
        Box::new(Named::new("a", &log)),
        Box::new(Named::new("b", &log)),
    ]);
    let outcome = invoke_with(&lc, None, echo).await;
    assert!(!outcome.is_error());
    assert_eq!(
        *log.lock().unwrap(),
        ["a:before", "b:before", "b:after(ok)", "a:after(ok)"]
    );
    lc.freeze().await;
    lc.close().await;
    lc.close().await; // Close runs once.
    assert_eq!(
        log.lock().unwrap()[4..],
        ["b:freeze", "a:freeze", "b:close", "a:close"]
    );
}

#[tokio::test]
async fn a_hook_can_answer_in_place_of_the_handler() {
    let log = Log::default();
    let mut cache = Named::new("cache", &log);
    cache.respond_early = true;
    let lc = lifecycle(vec![
        Box::new(Named::new("outer", &log)),
        Box::new(cache),
        Box::new(Named::new("inner", &log)),
    ]);
    let outcome = invoke_with(&lc, None, |_| async { panic!("handler must not run") }).await;
    assert_eq!(outcome.response().unwrap().body().as_ref(), b"\"cached\"");
    // The inner hook never entered, so it does not leave either.
    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer:before",
            "cache:before",
            "cache:after(ok)",
            "outer:after(ok)"
        ]
    );
}

#[tokio::test]
async fn a_failing_before_hook_fails_the_invocation_and_names_itself() {
    let log = Log::default();
    let mut policy = Named::new("policy", &log);
    policy.fail_before = true;
    let lc = lifecycle(vec![Box::new(policy)]);
    let outcome = invoke_with(&lc, None, echo).await;
    let error = outcome.error().unwrap();
    assert_eq!(error.kind(), ErrorKind::Hook);
    assert!(error.message().contains("`policy`"), "{}", error.message());
    assert!(
        error.message().contains("policy says no"),
        "{}",
        error.message()
    );
    assert_eq!(
        *log.lock().unwrap(),
        ["policy:before", "policy:after(error)"]
    );
}

#[tokio::test]
async fn handler_errors_keep_their_type() {
    let lc = lifecycle(vec![]);
    let outcome = invoke_with(&lc, None, |_| async {
        Err(Box::new(InvocationError::handler("ParseIntError", "invalid digit")) as BoxError)
    })
    .await;
    let error = outcome.error().unwrap();
    assert_eq!(error.error_type(), "ParseIntError");
    assert_eq!(error.message(), "invalid digit");
}

#[tokio::test]
async fn a_panic_becomes_an_error_with_message_and_location() {
    let log = Log::default();
    let lc = lifecycle(vec![Box::new(Named::new("a", &log))]);
    let outcome = invoke_with(&lc, None, |_| async { panic!("boom at {}", 42) }).await;
    let error = outcome.error().unwrap();
    assert_eq!(error.error_type(), "Function.Panic");
    assert!(
        error.message().contains("boom at 42"),
        "{}",
        error.message()
    );
    assert!(
        error.message().contains("pipeline.rs:"),
        "{}",
        error.message()
    );
    assert_eq!(*log.lock().unwrap(), ["a:before", "a:after(error)"]);
}

#[tokio::test(start_paused = true)]
async fn a_late_handler_is_cancelled_then_timed_out_and_after_invoke_still_runs() {
    let log = Log::default();
    let lc = lifecycle(vec![Box::new(Named::new("a", &log))]);
    let outcome = invoke_with(&lc, Some(Duration::from_secs(3)), |_| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(Response::json("late"))
    })
    .await;
    let error = outcome.error().unwrap();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        error.message().contains("function `test-fn` timed out"),
        "{}",
        error.message()
    );
    assert_eq!(*log.lock().unwrap(), ["a:before", "a:after(error)"]);
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_honours_cancellation_answers_itself() {
    let lc = lifecycle(vec![]);
    let outcome = invoke_with(
        &lc,
        Some(Duration::from_secs(1)),
        |invocation: Invocation| async move {
            invocation.context.cancellation().cancelled().await;
            Ok(Response::json("\"stopped cleanly\""))
        },
    )
    .await;
    assert_eq!(
        outcome.response().unwrap().body().as_ref(),
        b"\"stopped cleanly\""
    );
}

#[tokio::test]
async fn timings_are_recorded_per_phase_and_per_hook() {
    let log = Log::default();
    let lc = lifecycle(vec![Box::new(Named::new("a", &log))]);
    lc.runtime_start().unwrap();
    lc.function_start().await.unwrap();
    for _ in 0..3 {
        invoke_with(&lc, None, echo).await;
    }
    lc.record_step(Phase::FunctionStart, "preload:db", Duration::from_millis(5));
    lc.end(0);
    let timings = lc.timings();
    assert_eq!(timings.phase(Phase::Invoke).count, 3);
    assert_eq!(
        timings.phase(Phase::BeforeInvoke).step("a").unwrap().count,
        3
    );
    assert_eq!(
        timings.phase(Phase::RuntimeStart).step("a").unwrap().count,
        1
    );
    assert_eq!(
        timings
            .phase(Phase::FunctionStart)
            .step("preload:db")
            .unwrap()
            .total,
        Duration::from_millis(5)
    );
    assert_eq!(timings.phase(Phase::End).count, 1);
    let table = timings.to_string();
    assert!(
        table.contains("BeforeInvoke") && table.contains("preload:db"),
        "{table}"
    );
}

#[tokio::test]
async fn init_failures_name_the_hook() {
    struct Broken;
    impl Hook for Broken {
        fn on_function_start<'a>(&'a self, _: &'a FunctionInfo) -> HookFuture<'a> {
            HookFuture::new(async { Err("database unreachable".into()) })
        }
    }
    let lc = lifecycle(vec![Box::new(Broken)]);
    let error = lc.function_start().await.unwrap_err();
    assert!(error.is_init());
    assert_eq!(error.init_phase(), Some(Phase::FunctionStart));
    assert!(error.to_string().contains("`Broken`"), "{error}");
    assert!(
        error.to_string().contains("database unreachable"),
        "{error}"
    );
}

/// A hook whose `Close` takes ten seconds: far past any test budget.
struct SlowClose;
impl Hook for SlowClose {
    fn on_close(&self) -> HookFuture<'_> {
        HookFuture::new(async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(())
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_close_hook_is_bounded_by_its_budget_and_others_still_run() {
    let log = Log::default();
    let lc = lifecycle(vec![
        Box::new(Named::new("first", &log)),
        Box::new(SlowClose),
    ]);
    let started = tokio::time::Instant::now();
    lc.close().await;
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(*log.lock().unwrap(), ["first:close"]);
}

#[tokio::test]
async fn hooks_are_only_called_in_the_phases_they_declare() {
    use runtime_engine::Phases;
    struct AfterOnly(Log);
    impl Hook for AfterOnly {
        fn phases(&self) -> Phases {
            Phases::of(&[Phase::AfterInvoke])
        }
        fn on_before_invoke(&self, _: &mut Invocation) -> Result<Flow, BoxError> {
            self.0.lock().unwrap().push("after-only:before".into());
            Ok(Flow::Continue)
        }
        fn on_after_invoke(&self, _: &Context, _: &mut Outcome) -> Result<(), BoxError> {
            self.0.lock().unwrap().push("after-only:after".into());
            Ok(())
        }
        fn on_freeze(&self) -> HookFuture<'_> {
            self.0.lock().unwrap().push("after-only:freeze".into());
            HookFuture::done()
        }
    }
    let log = Log::default();
    let mut cache = Named::new("cache", &log);
    cache.respond_early = true;
    let lc = lifecycle(vec![
        Box::new(AfterOnly(log.clone())),
        Box::new(cache),
        Box::new(AfterOnly(log.clone())),
    ]);
    invoke_with(&lc, None, echo).await;
    lc.freeze().await;
    // The first after-only hook is outside the short-circuit and leaves the
    // onion; the third never entered; neither is asked at BeforeInvoke or Freeze.
    assert_eq!(
        *log.lock().unwrap(),
        [
            "cache:before",
            "cache:after(ok)",
            "after-only:after",
            "cache:freeze"
        ]
    );
    let timings = lc.timings();
    assert_eq!(
        timings
            .phase(Phase::BeforeInvoke)
            .step("AfterOnly")
            .map(|s| s.count),
        None
    );
}

#[tokio::test(start_paused = true)]
async fn one_budget_bounds_all_pending_hooks_of_a_phase_together() {
    let lc = lifecycle(vec![Box::new(SlowClose), Box::new(SlowClose)]);
    let started = tokio::time::Instant::now();
    lc.close().await;
    // The second hook gets what the first left of the budget: nothing.
    assert!(started.elapsed() <= Budgets::default().close + Duration::from_millis(5));
}

#[tokio::test]
async fn a_phase_with_one_hook_reports_its_runs_and_those_that_left_it_out() {
    use runtime_engine::Phases;
    use std::sync::atomic::{AtomicBool, Ordering};
    /// Answers in place of the handler while closed.
    struct Gate(Arc<AtomicBool>);
    impl Hook for Gate {
        fn name(&self) -> &str {
            "gate"
        }
        fn phases(&self) -> Phases {
            Phases::of(&[Phase::BeforeInvoke])
        }
        fn on_before_invoke(&self, _: &mut Invocation) -> Result<Flow, BoxError> {
            if self.0.load(Ordering::Relaxed) {
                return Ok(Flow::Respond(Outcome::Response(Response::json("0"))));
            }
            Ok(Flow::Continue)
        }
    }
    struct Inner;
    impl Hook for Inner {
        fn phases(&self) -> Phases {
            Phases::of(&[Phase::AfterInvoke, Phase::Freeze])
        }
    }
    let closed = Arc::new(AtomicBool::new(false));
    let lc = lifecycle(vec![Box::new(Gate(closed.clone())), Box::new(Inner)]);
    invoke_with(&lc, None, echo).await;
    invoke_with(&lc, None, echo).await;
    closed.store(true, Ordering::Relaxed);
    invoke_with(&lc, None, echo).await;
    lc.freeze().await;

    let timings = lc.timings();
    let before = timings.phase(Phase::BeforeInvoke);
    let gate = before.step("gate").unwrap();
    assert_eq!((before.count, gate.count), (3, 3));
    assert_eq!((before.total, before.max), (gate.total, gate.max));
    // The short-circuit left `Inner` out of the third AfterInvoke, which
    // still counts, at zero time.
    let after = timings.phase(Phase::AfterInvoke);
    let inner = after.step("Inner").unwrap();
    assert_eq!((after.count, inner.count), (3, 2));
    assert_eq!((after.total, after.max), (inner.total, inner.max));
    let freeze = timings.phase(Phase::Freeze);
    assert_eq!(freeze.count, 1);
    assert_eq!(freeze.total, freeze.step("Inner").unwrap().total);
    let totals = lc.phase_totals();
    for phase in Phase::ALL {
        assert_eq!(totals[phase.index()], timings.phase(phase).total, "{phase}");
    }
}

#[tokio::test(start_paused = true)]
async fn freeze_runs_every_hook_past_a_failure_and_an_overrun() {
    struct Failing;
    impl Hook for Failing {
        fn on_freeze(&self) -> HookFuture<'_> {
            HookFuture::ready(Err("flush failed".into()))
        }
    }
    struct Slow(Log);
    impl Hook for Slow {
        fn on_freeze(&self) -> HookFuture<'_> {
            HookFuture::new(async move {
                self.0.lock().unwrap().push("slow:start".into());
                tokio::time::sleep(Duration::from_secs(10)).await;
                self.0.lock().unwrap().push("slow:end".into());
                Ok(())
            })
        }
    }
    let log = Log::default();
    let lc = lifecycle(vec![
        Box::new(Named::new("first", &log)),
        Box::new(Slow(log.clone())),
        Box::new(Failing),
        Box::new(Named::new("last", &log)),
    ]);
    let started = tokio::time::Instant::now();
    lc.freeze().await;
    assert!(started.elapsed() <= Budgets::default().freeze + Duration::from_millis(5));
    assert_eq!(
        *log.lock().unwrap(),
        ["last:freeze", "slow:start", "first:freeze"]
    );
    let freeze = lc.timings();
    let freeze = freeze.phase(Phase::Freeze);
    assert_eq!(freeze.count, 1);
    assert_eq!(freeze.steps.len(), 4);
}

/// A body that yields a chunk at once, then one a second, forever.
struct Endless {
    pause: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl futures_core::Stream for Endless {
    type Item = Result<bytes::Bytes, BoxError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::future::Future;
        if let Some(pause) = &mut self.pause {
            if pause.as_mut().poll(cx).is_pending() {
                return std::task::Poll::Pending;
            }
        }
        self.pause = Some(Box::pin(tokio::time::sleep(Duration::from_secs(1))));
        std::task::Poll::Ready(Some(Ok(bytes::Bytes::from_static(b"chunk"))))
    }
}

/// A body of the given chunks, all ready.
struct Ready(std::collections::VecDeque<Result<bytes::Bytes, BoxError>>);

impl futures_core::Stream for Ready {
    type Item = Result<bytes::Bytes, BoxError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.pop_front())
    }
}

#[tokio::test]
async fn a_streamed_responses_after_invoke_runs_when_its_stream_ends() {
    let log = Log::default();
    let lc = lifecycle(vec![Box::new(Named::new("a", &log))]);
    let outcome = invoke_with(&lc, None, |_| async {
        let chunks = Ready([Ok(bytes::Bytes::from_static(b"xy"))].into());
        Ok(Response::stream("text/plain", chunks))
    })
    .await;
    assert_eq!(*log.lock().unwrap(), ["a:before"], "not yet");
    let mut stream = outcome.response().unwrap().take_stream().unwrap();
    while stream.next_chunk().await.is_some() {}
    let end = stream.finish();
    assert_eq!(end.response().unwrap().streamed_bytes(), Some(2));
    assert_eq!(*log.lock().unwrap(), ["a:before", "a:after(ok)"]);
}

#[tokio::test(start_paused = true)]
async fn a_stream_past_its_deadline_ends_as_a_timeout_seen_by_after_invoke() {
    let log = Log::default();
    let lc = lifecycle(vec![Box::new(Named::new("a", &log))]);
    let outcome = invoke_with(&lc, Some(Duration::from_secs(3)), |_| async {
        Ok(Response::stream("text/plain", Endless { pause: None }))
    })
    .await;
    let mut stream = outcome.response().unwrap().take_stream().unwrap();
    let mut chunks = 0;
    let failure = loop {
        match stream.next_chunk().await {
            Some(Ok(_)) => chunks += 1,
            Some(Err(error)) => break error,
            None => panic!("an endless stream ended"),
        }
    };
    assert!(
        (1..=3).contains(&chunks),
        "{chunks} chunks before the deadline"
    );
    assert_eq!(failure.kind(), ErrorKind::Timeout);
    assert!(failure.message().contains("still streaming"), "{failure}");
    assert!(
        stream.next_chunk().await.is_none(),
        "nothing after the error"
    );
    assert!(stream.finish().is_error());
    assert_eq!(*log.lock().unwrap(), ["a:before", "a:after(error)"]);
}
