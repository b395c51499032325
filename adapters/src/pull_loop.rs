//! The pull loop AWS Lambda and Tencent SCF event functions share: one
//! loop fed by the platform's runtime API.
//!
//! Each turn: `Freeze` (once per idle period) → `next`, raced against
//! shutdown → the pipeline → post the response or the error, raced against
//! shutdown plus a short grace → `AfterResponse`. What differs per platform
//! (paths, headers, error bodies) is a [`RuntimeApi`]; the loop never sees
//! HTTP.
//!
//! Every platform call but `next` has a time limit
//! ([`CALL_TIMEOUT_VAR`], [`retry_policy`]); shutdown wins over every wait.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use light_runtime_http_client::{PostStatus, RetryPolicy, DEFAULT_CALL_TIMEOUT};
use runtime_engine::{
    CancellationToken, Environment, Error, Invocation, InvocationError, Lifecycle, Outcome,
    Response, ResponseStream,
};

use crate::pipeline::BoxPipeline;

/// The variable that sets the time limit, in milliseconds, of every
/// runtime API call but `next` (extension registration, `init/error`,
/// `init/ready`, response and error posts, connects). Default 10 s.
pub(crate) const CALL_TIMEOUT_VAR: &str = "LIGHT_RUNTIME_PLATFORM_CALL_TIMEOUT_MS";

/// How long a post still in progress may take once shutdown is asked: a
/// post the API takes is done in well under a millisecond on loopback, so
/// one still pending after this is stalled, and shutdown goes on without it.
pub(crate) const POST_GRACE_AT_SHUTDOWN: Duration = Duration::from_millis(250);

/// The runtime API client's policy, with [`CALL_TIMEOUT_VAR`] applied (a
/// value that is not a positive number of milliseconds is reported and
/// the default kept).
pub(crate) fn retry_policy(env: &Environment) -> RetryPolicy {
    let mut policy = RetryPolicy::default();
    if let Some(text) = env.get(CALL_TIMEOUT_VAR) {
        match text.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => policy.call_timeout = Duration::from_millis(ms),
            _ => platform_warning(&format!(
                "{CALL_TIMEOUT_VAR}={text:?} is not a positive number of milliseconds; \
                 using {DEFAULT_CALL_TIMEOUT:?}"
            )),
        }
    }
    policy
}

/// A warning about the platform that must be seen whether or not a
/// logging layer is on. It goes through `tracing`: with no subscriber,
/// light-runtime's fallback (`light-runtime/src/diagnostics.rs`) writes it
/// to stderr, where every platform collects the function's log, in the
/// platform's log format; with the logging layer or the user's subscriber,
/// it goes there, once.
pub(crate) fn platform_warning(message: &str) {
    tracing::warn!("{message}");
}

/// What to do with a post's [`PostStatus`] once it is not `Accepted`: a
/// refused or unconfirmed answer is logged, never sent again (the
/// invocation already has, or can no longer get, an answer). `api` names
/// the runtime API in the warning. An unreachable or failing API is fatal
/// and reaches the loop as an `Err` instead.
pub(crate) fn log_refusal(api: &str, request_id: &str, status: &PostStatus) {
    match status {
        PostStatus::Accepted => {}
        PostStatus::Rejected(code, body) => tracing::warn!(
            request_id,
            "the {api} refused the answer with status {code}: {body}"
        ),
        PostStatus::Unconfirmed(reason) => platform_warning(&format!(
            "the answer to {request_id} was sent but not confirmed ({reason}); \
             it may have arrived, so it is not sent again"
        )),
    }
}

/// Runs `call` unless `shutdown` fires first (then `None`); for the init
/// calls (registration, `init/ready`, `init/error`), which must not hold
/// shutdown up.
pub(crate) async fn unless_shut_down<T>(
    shutdown: &CancellationToken,
    call: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        done = call => Some(done),
        () = shutdown.cancelled() => None,
    }
}

/// What `next` brought.
#[derive(Debug)]
pub(crate) enum Next {
    /// An event to run through the pipeline.
    Invocation(Invocation),
    /// A malformed event the API client has already answered with an error.
    Refused,
    /// An event that cannot be answered at all (no request id): skipped.
    #[cfg_attr(not(feature = "aws_lambda"), allow(dead_code))]
    Unanswerable,
}

/// A platform's runtime API as the pull loop uses it: one connection, one
/// invocation at a time. An `Err` from any call means the API is
/// unreachable, stalled past its time limit or answered 5xx to a post,
/// which stops the runtime; a refused or unconfirmed post is the client's
/// to log, and is never sent again.
pub(crate) trait RuntimeApi: Send + 'static {
    /// Waits for the next event and decodes it. No client timeout: the
    /// process may be frozen for a long time while this is pending.
    fn next(&mut self, lifecycle: &Lifecycle) -> impl Future<Output = Result<Next, Error>> + Send;

    /// Posts the function's response to invocation `request_id`.
    fn post_response(
        &mut self,
        request_id: &str,
        response: &Response,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Posts the invocation's error.
    fn post_error(
        &mut self,
        request_id: &str,
        error: &InvocationError,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Sends a streamed response and returns the invocation's final
    /// outcome ([`ResponseStream::finish`]), for `AfterResponse`. By
    /// default the stream is read whole, up to [`BUFFERED_LIMIT`], and
    /// posted as one response, or as an error if it failed: a platform
    /// without a streaming mode still gets exactly one answer.
    fn post_stream(
        &mut self,
        request_id: &str,
        mut stream: ResponseStream,
    ) -> impl Future<Output = Result<Outcome, Error>> + Send {
        async move {
            let mut body = Vec::new();
            while let Some(chunk) = stream.next_chunk().await {
                let Ok(chunk) = chunk else { break };
                if stream.sent() > BUFFERED_LIMIT as u64 {
                    let error = InvocationError::runtime(
                        "Function.ResponseSizeTooLarge",
                        format!(
                            "the streamed response passed {BUFFERED_LIMIT} bytes, the most this \
                             platform takes in one response"
                        ),
                    );
                    return self.post_outcome(request_id, stream.cut_short(error)).await;
                }
                body.extend_from_slice(&chunk);
            }
            let outcome = match stream.finish() {
                Outcome::Response(response) => {
                    Outcome::Response(Response::with_content_type(body, response.content_type()))
                }
                failed => failed,
            };
            self.post_outcome(request_id, outcome).await
        }
    }

    /// Posts `outcome` whole and hands it back.
    fn post_outcome(
        &mut self,
        request_id: &str,
        outcome: Outcome,
    ) -> impl Future<Output = Result<Outcome, Error>> + Send {
        async move {
            match &outcome {
                Outcome::Response(response) => self.post_response(request_id, response).await?,
                Outcome::Error(error) => self.post_error(request_id, error).await?,
            }
            Ok(outcome)
        }
    }
}

/// The most a streamed response read whole by [`RuntimeApi::post_stream`]'s
/// default may hold: 6 MB, SCF's response limit (reference 3.6), which is
/// also Lambda's for buffered responses.
pub(crate) const BUFFERED_LIMIT: usize = 6 * 1024 * 1024;

/// Serves invocations, one loop per connection in `apis` (Lambda Managed
/// Instances run `AWS_LAMBDA_MAX_CONCURRENCY` at once; everyone else one),
/// until `shutdown` fires or one loop loses the API; then runs `Close`.
/// `RuntimeStart` and `FunctionStart` must have run.
pub(crate) async fn run<A: RuntimeApi>(
    lifecycle: &Arc<Lifecycle>,
    pipeline: BoxPipeline,
    shutdown: &CancellationToken,
    mut apis: Vec<A>,
) -> Result<(), Error> {
    // Freeze once per idle period, not once per loop.
    let busy_since_freeze = Arc::new(AtomicBool::new(true));
    let result = if apis.len() <= 1 {
        match apis.pop() {
            Some(api) => pull(lifecycle, api, pipeline, shutdown, &busy_since_freeze).await,
            None => Ok(()),
        }
    } else {
        let mut loops = tokio::task::JoinSet::new();
        for api in apis {
            let (lifecycle, pipeline, shutdown, busy) = (
                lifecycle.clone(),
                pipeline.clone(),
                shutdown.clone(),
                busy_since_freeze.clone(),
            );
            loops.spawn(async move { pull(&lifecycle, api, pipeline, &shutdown, &busy).await });
        }
        let mut first_error = Ok(());
        while let Some(joined) = loops.join_next().await {
            let result =
                joined.unwrap_or_else(|e| Err(Error::platform(format!("worker failed: {e}"))));
            if let Err(error) = result {
                // One loop cannot reach the API: stop the others too.
                shutdown.cancel();
                if first_error.is_ok() {
                    first_error = Err(error);
                }
            }
        }
        first_error
    };
    lifecycle.close().await;
    result
}

/// One `next` → pipeline → answer loop.
async fn pull<A: RuntimeApi>(
    lifecycle: &Lifecycle,
    mut api: A,
    mut pipeline: BoxPipeline,
    shutdown: &CancellationToken,
    busy_since_freeze: &AtomicBool,
) -> Result<(), Error> {
    loop {
        if busy_since_freeze.swap(false, Ordering::AcqRel) {
            lifecycle.freeze().await;
        }
        if shutdown.is_cancelled() {
            return Ok(());
        }
        // `next` is polled first so an event already received is never
        // dropped in favour of shutdown.
        let next = tokio::select! {
            biased;
            next = api.next(lifecycle) => next?,
            () = shutdown.cancelled() => return Ok(()),
        };
        let invocation = match next {
            Next::Invocation(invocation) => invocation,
            Next::Refused => {
                busy_since_freeze.store(true, Ordering::Release);
                continue;
            }
            Next::Unanswerable => continue,
        };
        let context = invocation.context.clone();
        let outcome = pipeline.answer(invocation).await;
        let id = context.request_id();
        // A streamed response's outcome is known when its stream ends. Its
        // post is apart and boxed, so that the whole response's post, on
        // every invocation, stays as small as it was.
        let outcome = match outcome.response().and_then(Response::take_stream) {
            None => {
                let post = async {
                    match &outcome {
                        Outcome::Response(response) => api.post_response(id, response).await,
                        Outcome::Error(error) => api.post_error(id, error).await,
                    }
                };
                match within_grace(post, shutdown, id).await {
                    Some(posted) => posted?,
                    None => return Ok(()),
                }
                outcome
            }
            Some(stream) => {
                match within_grace(Box::pin(api.post_stream(id, stream)), shutdown, id).await {
                    Some(posted) => posted?,
                    None => return Ok(()),
                }
            }
        };
        lifecycle.after_response(&context, &outcome).await;
        busy_since_freeze.store(true, Ordering::Release);
    }
}

/// Runs `post` unless shutdown came more than [`POST_GRACE_AT_SHUTDOWN`]
/// ago while it was still running (then `None`, said on stderr). The post
/// is polled first: one the API takes is never cut short.
async fn within_grace<T>(
    post: impl Future<Output = T>,
    shutdown: &CancellationToken,
    request_id: &str,
) -> Option<T> {
    tokio::select! {
        biased;
        posted = post => Some(posted),
        () = grace_after(shutdown) => {
            platform_warning(&format!(
                "shutting down while the answer to {request_id} was still being posted \
                 ({POST_GRACE_AT_SHUTDOWN:?} after the signal); not waiting for the runtime API"
            ));
            None
        }
    }
}

/// Resolves [`POST_GRACE_AT_SHUTDOWN`] after `shutdown` fires.
async fn grace_after(shutdown: &CancellationToken) {
    shutdown.cancelled().await;
    tokio::time::sleep(POST_GRACE_AT_SHUTDOWN).await;
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Mutex;

    use runtime_engine::{BoxError, Budgets, FunctionInfo, Hook, HookFuture, Platform, Response};

    use super::*;

    /// A runtime API fed from a list of events, recording every post; when
    /// the list is empty it asks for shutdown and waits forever, as a
    /// platform with no more work does.
    struct Scripted {
        events: VecDeque<&'static str>,
        posted: Arc<Mutex<Vec<String>>>,
        shutdown: CancellationToken,
    }

    impl RuntimeApi for Scripted {
        async fn next(&mut self, lifecycle: &Lifecycle) -> Result<Next, Error> {
            let Some(event) = self.events.pop_front() else {
                self.shutdown.cancel();
                return std::future::pending().await;
            };
            Ok(match event {
                "refused" => Next::Refused,
                "unanswerable" => Next::Unanswerable,
                payload => {
                    let context = lifecycle.context(payload).build();
                    Next::Invocation(Invocation::new(context, payload))
                }
            })
        }

        async fn post_response(
            &mut self,
            request_id: &str,
            response: &Response,
        ) -> Result<(), Error> {
            let body = String::from_utf8_lossy(response.body());
            let posted = format!("{request_id}: response {body}");
            self.posted.lock().unwrap().push(posted);
            Ok(())
        }

        async fn post_error(
            &mut self,
            request_id: &str,
            error: &InvocationError,
        ) -> Result<(), Error> {
            let posted = format!("{request_id}: {}", error.error_type());
            self.posted.lock().unwrap().push(posted);
            Ok(())
        }
    }

    /// A body of "a", "b", then, if `fails`, an error.
    struct Ab {
        sent: usize,
        fails: bool,
    }

    impl futures_core::Stream for Ab {
        type Item = Result<bytes::Bytes, BoxError>;

        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            self.sent += 1;
            std::task::Poll::Ready(match self.sent {
                1 => Some(Ok(bytes::Bytes::from_static(b"a"))),
                2 => Some(Ok(bytes::Bytes::from_static(b"b"))),
                _ if self.fails => Some(Err("the source went away".into())),
                _ => None,
            })
        }
    }

    #[tokio::test]
    async fn without_a_streaming_mode_a_stream_is_posted_whole_once() {
        let function = FunctionInfo::new(Platform::TencentScf, "orders");
        let lifecycle = Arc::new(Lifecycle::new(function, Vec::new(), Budgets::default()));
        let pipeline = BoxPipeline::new(tower::service_fn(|invocation: Invocation| async move {
            let fails = invocation.payload == "fails";
            let body = Ab { sent: 0, fails };
            Ok::<_, BoxError>(Outcome::Response(Response::stream("text/plain", body)))
        }));
        let shutdown = CancellationToken::new();
        let posted = Arc::new(Mutex::new(Vec::new()));
        let api = Scripted {
            events: ["whole", "fails"].into(),
            posted: posted.clone(),
            shutdown: shutdown.clone(),
        };

        run(&lifecycle, pipeline, &shutdown, vec![api])
            .await
            .unwrap();

        let posted = posted.lock().unwrap();
        assert_eq!(
            *posted,
            ["whole: response ab", "fails: Runtime.StreamError"]
        );
    }

    /// Counts `Freeze`.
    struct CountFreezes(Arc<AtomicUsize>);

    impl Hook for CountFreezes {
        fn on_freeze(&self) -> HookFuture<'_> {
            self.0.fetch_add(1, Ordering::Relaxed);
            HookFuture::done()
        }
    }

    #[tokio::test]
    async fn one_answer_per_event_and_one_freeze_per_idle_period() {
        let freezes = Arc::new(AtomicUsize::new(0));
        let function = FunctionInfo::new(Platform::AwsLambda, "orders");
        let hooks: Vec<Box<dyn Hook>> = vec![Box::new(CountFreezes(freezes.clone()))];
        let lifecycle = Arc::new(Lifecycle::new(function, hooks, Budgets::default()));
        let pipeline = BoxPipeline::new(tower::service_fn(|invocation: Invocation| async move {
            if invocation.payload == "fail" {
                return Err::<Outcome, BoxError>("the layer refused".into());
            }
            Ok(Outcome::Response(Response::json(invocation.payload)))
        }));
        let shutdown = CancellationToken::new();
        let posted = Arc::new(Mutex::new(Vec::new()));
        let api = Scripted {
            events: ["a", "unanswerable", "refused", "fail"].into(),
            posted: posted.clone(),
            shutdown: shutdown.clone(),
        };

        run(&lifecycle, pipeline, &shutdown, vec![api])
            .await
            .unwrap();

        let posted = posted.lock().unwrap();
        assert_eq!(posted.len(), 2, "{posted:?}");
        assert_eq!(posted[0], "a: response a");
        // The pipeline's own failure is answered too, as an error.
        assert!(posted[1].starts_with("fail: Runtime."), "{posted:?}");
        // Before the first `next`, after `a`, after the refused event (which
        // was answered), after `fail`; not after the unanswerable one.
        assert_eq!(freezes.load(Ordering::Relaxed), 4);
    }
}
