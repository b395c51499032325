//! Streamed responses as each platform receives them: on the Lambda
//! emulator (streaming mode, chunks in order, error trailers, one answer)
//! and as chunked replies on plain HTTP and FC HTTP invocations. The
//! function's chunks come from a channel the test feeds, so "the first
//! chunk arrived before the function finished" is shown by the order of
//! events, never by timing.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::Method;
use light_runtime::engine::CancellationToken;
use light_runtime::{
    BoxError, Context, Environment, Hook, HookFuture, Invocation, InvocationError, Outcome,
    Response, Runtime, RuntimeError,
};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::hostile_api::{HostileRuntimeApi, Reply};
use light_runtime_testkit::http_platform::{request, HttpPlatform};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::stop_runtime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(10);

type Chunk = Result<Bytes, BoxError>;

/// A chunk stream fed by the test.
struct Chunks(mpsc::UnboundedReceiver<Chunk>);

impl Stream for Chunks {
    type Item = Chunk;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Chunk>> {
        self.0.poll_recv(cx)
    }
}

/// The same chunks as HTTP body frames.
struct Frames(Chunks);

impl Stream for Frames {
    type Item = Result<http_body::Frame<Bytes>, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map(|item| item.map(|chunk| chunk.map(http_body::Frame::data)))
    }
}

/// The bodies the function streams, one per invocation, in order; the
/// test keeps each body's sender.
#[derive(Clone, Default)]
struct Bodies(Arc<Mutex<VecDeque<Chunks>>>);

impl Bodies {
    /// The sender of the next invocation's body.
    fn next(&self) -> mpsc::UnboundedSender<Chunk> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.0.lock().unwrap().push_back(Chunks(receiver));
        sender
    }

    fn take(&self) -> Result<Chunks, InvocationError> {
        self.0
            .lock()
            .unwrap()
            .pop_front()
            .ok_or_else(|| InvocationError::handler("Test.NoBody", "the test gave no body"))
    }
}

/// An event function answering with a `text/plain` stream.
fn event_function(
    bodies: Bodies,
) -> impl tower::Service<
    Invocation,
    Response = Response,
    Error = InvocationError,
    Future = impl Send + 'static,
> + Clone
       + Send
       + 'static {
    tower::service_fn(move |_: Invocation| {
        let body = bodies.take();
        async move { Ok(Response::stream("text/plain", body?)) }
    })
}

/// An HTTP function answering `201` with a header and a streamed body.
fn http_function(
    bodies: Bodies,
) -> impl tower::Service<
    Invocation,
    Response = Response,
    Error = InvocationError,
    Future = impl Send + 'static,
> + Clone
       + Send
       + 'static {
    tower::service_fn(move |_: Invocation| {
        let body = bodies.take();
        async move {
            let body = http_body_util::StreamBody::new(Frames(body?));
            let response = http::Response::builder()
                .status(201)
                .header("content-type", "text/plain")
                .header("x-order", "42")
                .body(body)
                .unwrap();
            Ok(Response::from_http_body(response))
        }
    })
}

/// Tells the test what `AfterInvoke` and `AfterResponse` saw.
struct Observe(mpsc::UnboundedSender<String>);

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Response(response) => format!(
            "response, {} bytes streamed",
            response.streamed_bytes().unwrap_or(0)
        ),
        Outcome::Error(error) => format!("error {}", error.error_type()),
    }
}

impl Hook for Observe {
    fn on_after_invoke(&self, _: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
        let _ = self.0.send(format!("AfterInvoke: {}", describe(outcome)));
        Ok(())
    }

    fn on_after_response<'a>(&'a self, _: &'a Context, outcome: &'a Outcome) -> HookFuture<'a> {
        let _ = self.0.send(format!("AfterResponse: {}", describe(outcome)));
        HookFuture::done()
    }
}

/// What the hooks said, `count` lines, each within [`WAIT`].
async fn seen(hooks: &mut mpsc::UnboundedReceiver<String>, count: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for _ in 0..count {
        let line = tokio::time::timeout(WAIT, hooks.recv()).await;
        lines.push(
            line.expect("a hook ran in time")
                .expect("the hook is alive"),
        );
    }
    lines
}

/// Starts `function` with the [`Observe`] hook in `env`.
fn start<S>(
    env: Vec<(String, String)>,
    function: S,
) -> (
    CancellationToken,
    JoinHandle<Result<(), RuntimeError>>,
    mpsc::UnboundedReceiver<String>,
)
where
    S: tower::Service<Invocation, Response = Response, Error = InvocationError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let (told, hooks) = mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let run = Runtime::builder()
        .with_environment(Environment::from_vars(env))
        .hook(Observe(told))
        .run_until(function, shutdown.clone());
    (shutdown, tokio::spawn(run), hooks)
}

/// A Lambda emulator whose deadlines are far enough off that a loaded
/// machine never reaches them in these tests.
async fn emulator() -> LambdaEmulator {
    LambdaEmulator::builder()
        .timeout(Duration::from_secs(60))
        .start()
        .await
        .unwrap()
}

fn lambda_env(emulator: &LambdaEmulator) -> Vec<(String, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), "stream".into()),
    ]
}

fn send(body: &mpsc::UnboundedSender<Chunk>, chunk: &'static str) {
    body.send(Ok(Bytes::from_static(chunk.as_bytes())))
        .expect("the function still reads its body");
}

#[tokio::test]
async fn aws_chunks_arrive_in_order_and_hooks_see_the_end() {
    let emulator = emulator().await;
    let bodies = Bodies::default();
    let (shutdown, task, mut hooks) = start(lambda_env(&emulator), event_function(bodies.clone()));
    let body = bodies.next();
    let id = emulator.push(Event::json(serde_json::json!({})));

    let mut expected = Vec::new();
    for chunk in ["one ", "two ", "three"] {
        send(&body, chunk);
        expected.push(chunk);
        let count = expected.len();
        let streamed = emulator
            .wait_streamed(&id, WAIT, |s| s.chunks.len() >= count)
            .await
            .expect("the chunk reached the platform while the function still streams");
        assert!(!streamed.complete);
        assert_eq!(
            streamed.chunks, expected,
            "each chunk arrives alone and in order"
        );
        assert!(
            hooks.try_recv().is_err(),
            "AfterInvoke waits for the end of the stream"
        );
    }
    drop(body);

    let result = emulator.result(&id, WAIT).await.expect("an answer");
    assert_eq!(result.response_body().unwrap().as_ref(), b"one two three");
    let streamed = emulator.streamed(&id).unwrap();
    assert!(streamed.complete);
    assert_eq!(streamed.error_type(), None);
    let post = emulator
        .calls()
        .into_iter()
        .find(|call| call.path.ends_with("/response"))
        .unwrap();
    assert_eq!(
        post.header("lambda-runtime-function-response-mode"),
        Some("streaming")
    );
    assert_eq!(post.header("transfer-encoding"), Some("chunked"));
    assert_eq!(post.header("content-type"), Some("text/plain"));
    let trailer = post.header("trailer").unwrap().to_ascii_lowercase();
    assert!(
        trailer.contains("lambda-runtime-function-error-type")
            && trailer.contains("lambda-runtime-function-error-body"),
        "{trailer}"
    );
    assert_eq!(
        seen(&mut hooks, 2).await,
        [
            "AfterInvoke: response, 13 bytes streamed",
            "AfterResponse: response, 13 bytes streamed"
        ]
    );
    assert_eq!(emulator.answers_for(&id), 1);
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn aws_a_failure_midway_is_sent_in_the_trailers_as_the_one_answer() {
    let emulator = emulator().await;
    let bodies = Bodies::default();
    let (shutdown, task, mut hooks) = start(lambda_env(&emulator), event_function(bodies.clone()));
    let body = bodies.next();
    let id = emulator.push(Event::json(serde_json::json!({})));

    send(&body, "partial");
    emulator
        .wait_streamed(&id, WAIT, |s| !s.chunks.is_empty())
        .await
        .expect("the first chunk arrives");
    let failure = std::io::Error::other("the disk went away");
    body.send(Err(failure.into())).unwrap();

    let streamed = emulator
        .wait_streamed(&id, WAIT, |s| s.complete)
        .await
        .expect("the stream ends");
    assert_eq!(streamed.body().as_ref(), b"partial");
    assert_eq!(streamed.error_type(), Some("Runtime.StreamError"));
    let error = streamed.error_body().expect("a base64 JSON error body");
    assert_eq!(error["errorType"], "Runtime.StreamError");
    let message = error["errorMessage"].as_str().unwrap();
    assert!(message.contains("the disk went away"), "{message}");
    assert_eq!(
        seen(&mut hooks, 2).await,
        [
            "AfterInvoke: error Runtime.StreamError",
            "AfterResponse: error Runtime.StreamError"
        ]
    );
    // The next invocation is served: the loop went on, and nothing more
    // was posted for this one.
    let next_body = bodies.next();
    let next = emulator.push(Event::json(serde_json::json!({})));
    send(&next_body, "again");
    drop(next_body);
    let result = emulator.result(&next, WAIT).await.expect("an answer");
    assert_eq!(result.response_body().unwrap().as_ref(), b"again");
    assert_eq!(emulator.answers_for(&id), 1);
    assert_eq!(emulator.count("/error"), 0);
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn aws_a_stream_failing_before_its_first_byte_is_answered_on_error() {
    let emulator = emulator().await;
    let bodies = Bodies::default();
    let (shutdown, task, mut hooks) = start(lambda_env(&emulator), event_function(bodies.clone()));
    let body = bodies.next();
    let id = emulator.push(Event::json(serde_json::json!({})));
    let refusal = InvocationError::handler("Function.NoStock", "nothing to stream");
    body.send(Err(refusal.into())).unwrap();

    let result = emulator.result(&id, WAIT).await.expect("an answer");
    assert_eq!(result.error_type(), Some("Function.NoStock"));
    assert!(emulator.streamed(&id).is_none(), "no stream was started");
    assert_eq!(emulator.answers_for(&id), 1);
    assert_eq!(
        seen(&mut hooks, 2).await,
        [
            "AfterInvoke: error Function.NoStock",
            "AfterResponse: error Function.NoStock"
        ]
    );
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn plain_http_sends_a_chunked_reply_as_the_function_streams() {
    let platform = HttpPlatform::knative().unwrap();
    let bodies = Bodies::default();
    let (shutdown, task, mut hooks) = start(platform.env(), event_function(bodies.clone()));
    assert!(platform.wait_ready(WAIT).await);
    let body = bodies.next();
    send(&body, "first");
    let json = [("content-type", "application/json")];
    let event = request(Method::POST, "/", &json, Bytes::from_static(b"{}"));
    let mut reply = platform.caller().send_streamed(event, WAIT).await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.header("content-type"), Some("text/plain"));
    // The function has not finished: its body is still open.
    assert_eq!(reply.next_chunk(WAIT).await.unwrap().unwrap(), "first");
    assert!(hooks.try_recv().is_err(), "AfterInvoke waits for the end");
    send(&body, "second");
    assert_eq!(reply.next_chunk(WAIT).await.unwrap().unwrap(), "second");
    drop(body);
    assert_eq!(reply.next_chunk(WAIT).await.unwrap(), None);
    assert_eq!(
        seen(&mut hooks, 2).await,
        [
            "AfterInvoke: response, 11 bytes streamed",
            "AfterResponse: response, 11 bytes streamed"
        ]
    );
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn plain_http_cuts_a_failing_stream_short_and_hooks_see_the_error() {
    let platform = HttpPlatform::knative().unwrap();
    let bodies = Bodies::default();
    let (shutdown, task, mut hooks) = start(platform.env(), event_function(bodies.clone()));
    assert!(platform.wait_ready(WAIT).await);
    let body = bodies.next();
    send(&body, "partial");
    let json = [("content-type", "application/json")];
    let event = request(Method::POST, "/", &json, Bytes::from_static(b"{}"));
    let mut reply = platform.caller().send_streamed(event, WAIT).await.unwrap();
    assert_eq!(reply.next_chunk(WAIT).await.unwrap().unwrap(), "partial");
    body.send(Err("the disk went away".into())).unwrap();
    let cut = reply.next_chunk(WAIT).await;
    assert!(cut.is_err(), "the client sees an unfinished body: {cut:?}");
    assert_eq!(
        seen(&mut hooks, 2).await,
        [
            "AfterInvoke: error Runtime.StreamError",
            "AfterResponse: error Runtime.StreamError"
        ]
    );
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn fc_http_invocations_stream_the_http_functions_body() {
    let fc = FcEmulator::builder().start().unwrap();
    let bodies = Bodies::default();
    let (shutdown, task, mut hooks) = start(fc.env(), http_function(bodies.clone()));
    assert!(fc.wait_ready(WAIT).await);
    let body = bodies.next();
    send(&body, "first");
    let invocation = fc
        .request(Method::GET, "/orders", "/http-invoke", Bytes::new())
        .into_http();
    let mut reply = fc.caller().send_streamed(invocation, WAIT).await.unwrap();
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("x-order"), Some("42"));
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert_eq!(reply.next_chunk(WAIT).await.unwrap().unwrap(), "first");
    assert!(hooks.try_recv().is_err(), "AfterInvoke waits for the end");
    send(&body, "-last");
    drop(body);
    assert_eq!(reply.rest(WAIT).await.unwrap(), b"-last");
    assert_eq!(
        seen(&mut hooks, 2).await,
        [
            "AfterInvoke: response, 10 bytes streamed",
            "AfterResponse: response, 10 bytes streamed"
        ]
    );
    stop_runtime(&shutdown, task).await;
}

/// What [`countdown`] counts down from.
#[derive(serde::Deserialize)]
struct Countdown {
    from: u64,
}

/// An event function written as an `async fn` that builds its own streamed
/// response.
async fn countdown(event: Countdown, _ctx: Context) -> Result<Response, light_runtime::Error> {
    let (sender, receiver) = mpsc::unbounded_channel();
    for n in (1..=event.from).rev() {
        let _ = sender.send(Ok(Bytes::from(format!("{n} "))));
    }
    Ok(Response::stream("text/plain", Chunks(receiver)))
}

#[tokio::test]
async fn an_async_fn_can_answer_with_its_own_stream() {
    let emulator = emulator().await;
    let shutdown = CancellationToken::new();
    let run = Runtime::builder()
        .with_environment(Environment::from_vars(lambda_env(&emulator)))
        .run_until(countdown, shutdown.clone());
    let task = tokio::spawn(run);
    let id = emulator.push(Event::json(serde_json::json!({"from": 3})));
    let result = emulator.result(&id, WAIT).await.expect("an answer");
    assert_eq!(result.response_body().unwrap().as_ref(), b"3 2 1 ");
    assert!(emulator.streamed(&id).unwrap().complete, "it was streamed");
    let malformed = emulator.push(Event::json(serde_json::json!({"from": "three"})));
    let result = emulator.result(&malformed, WAIT).await.expect("an answer");
    assert_eq!(result.error_type(), Some("Runtime.MalformedEvent"));
    stop_runtime(&shutdown, task).await;
}

/// A hostile Runtime API serving one event, `req-s`, to an event function.
async fn hostile(
    post: Reply,
) -> (
    HostileRuntimeApi,
    mpsc::UnboundedSender<Chunk>,
    CancellationToken,
    JoinHandle<Result<(), RuntimeError>>,
    mpsc::UnboundedReceiver<String>,
) {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_next(Reply::event("req-s", "{}"));
    api.on_post(post);
    let bodies = Bodies::default();
    let body = bodies.next();
    let env = vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), api.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), "stream".into()),
    ];
    let (shutdown, task, hooks) = start(env, event_function(bodies));
    (api, body, shutdown, task, hooks)
}

fn posts_for(api: &HostileRuntimeApi, id: &str) -> Vec<String> {
    api.posts()
        .into_iter()
        .filter(|post| post.path.contains(id))
        .map(|post| post.path)
        .collect()
}

#[tokio::test]
async fn aws_a_5xx_to_a_streamed_post_stops_the_runtime_and_nothing_is_posted_again() {
    let (api, body, _shutdown, task, mut hooks) = hostile(Reply::Status(500)).await;
    send(&body, "all of it");
    drop(body);
    let ended = tokio::time::timeout(WAIT, task)
        .await
        .expect("the runtime stops")
        .expect("no panic");
    let error = ended.expect_err("a container error ends the runtime");
    assert!(error.to_string().contains("status 500"), "{error}");
    let posts = posts_for(&api, "req-s");
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(posts[0].ends_with("/response"), "{posts:?}");
    let streamed = api.posts().into_iter().find(|p| p.path.contains("req-s"));
    assert_eq!(streamed.unwrap().body, b"all of it");
    assert_eq!(
        seen(&mut hooks, 1).await,
        ["AfterInvoke: response, 9 bytes streamed"]
    );
}

#[tokio::test]
async fn aws_a_streamed_post_the_api_never_confirms_is_not_sent_again() {
    let (api, body, shutdown, task, mut hooks) = hostile(Reply::CloseAfterRead).await;
    send(&body, "all of it");
    drop(body);
    assert_eq!(
        seen(&mut hooks, 2).await,
        [
            "AfterInvoke: response, 9 bytes streamed",
            "AfterResponse: response, 9 bytes streamed"
        ]
    );
    // The loop went on to ask for the next event; the answer was not sent again.
    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .filter(|r| r.path.ends_with("/next"))
            .count()
            >= 2)
            .await
    );
    assert_eq!(posts_for(&api, "req-s").len(), 1);
    stop_runtime(&shutdown, task).await;
}

/// An axum app with one streamed route and one whole one.
fn streaming_app(bodies: Bodies) -> axum::Router {
    use axum::response::IntoResponse;
    use axum::routing::get;
    axum::Router::new()
        .route(
            "/feed",
            get(move || {
                let body = bodies.take();
                async move {
                    match body {
                        Ok(chunks) => axum::body::Body::from_stream(chunks).into_response(),
                        Err(error) => (http::StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
                            .into_response(),
                    }
                }
            }),
        )
        .route("/whole", get(|| async { "all at once" }))
}

#[tokio::test]
async fn an_axum_streamed_body_is_sent_as_it_comes_and_a_whole_one_whole() {
    let platform = HttpPlatform::knative().unwrap();
    let bodies = Bodies::default();
    let (told, mut hooks) = mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let run = Runtime::builder()
        .with_environment(Environment::from_vars(platform.env()))
        .hook(Observe(told))
        .run_until(streaming_app(bodies.clone()), shutdown.clone());
    let task = tokio::spawn(run);
    assert!(platform.wait_ready(WAIT).await);

    let body = bodies.next();
    send(&body, "tick-1");
    let get_feed = request(Method::GET, "/feed", &[], Bytes::new());
    let mut reply = platform
        .caller()
        .send_streamed(get_feed, WAIT)
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    // The route's body is still open: the first chunk came before its end.
    assert_eq!(reply.next_chunk(WAIT).await.unwrap().unwrap(), "tick-1");
    assert!(hooks.try_recv().is_err(), "AfterInvoke waits for the end");
    send(&body, "tick-2");
    drop(body);
    assert_eq!(reply.rest(WAIT).await.unwrap(), b"tick-2");
    assert_eq!(
        seen(&mut hooks, 2).await,
        [
            "AfterInvoke: response, 12 bytes streamed",
            "AfterResponse: response, 12 bytes streamed"
        ]
    );

    // A body of known length is answered whole, with its length.
    let get_whole = request(Method::GET, "/whole", &[], Bytes::new());
    let whole = platform.caller().send(get_whole, WAIT).await.unwrap();
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("content-length"), Some("11"));
    assert_eq!(whole.header("transfer-encoding"), None);
    assert_eq!(whole.body.as_ref(), b"all at once");
    stop_runtime(&shutdown, task).await;
}
