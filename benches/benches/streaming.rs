//! Time to first byte of a streamed response, against the time to the
//! whole body, on the Lambda emulator and on a plain-HTTP (Knative) server,
//! in process over loopback.
//!
//! The function answers with 8 chunks of 1 KiB; it has the first at once
//! and makes each of the others 2 ms after the one before, as a function
//! that generates its answer does (an LLM's tokens, a report's rows). So a
//! buffered answer could not start before about 14 ms, and a streamed one
//! starts with its first chunk.
//!
//! - `ttfb/aws/first_byte`: the event pushed (the runtime waiting in
//!   `next`) until the first chunk of the `/response` post reached the
//!   emulator.
//! - `ttfb/aws/whole_body`: the same until the whole body arrived.
//! - `ttfb/http/first_byte`, `ttfb/http/whole_body`: the request sent until
//!   the first chunk, or the last, reached the client.
//!
//! `cargo bench -p light-runtime-benches --bench streaming`

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::Criterion;
use futures_core::Stream;
use light_runtime::engine::CancellationToken;
use light_runtime::{BoxError, Environment, Invocation, InvocationError, Response, Runtime};
use light_runtime_testkit::http_platform::{request, HttpPlatform};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use tokio::time::Sleep;

const CHUNKS: usize = 8;
const CHUNK: usize = 1024;
const EVERY: Duration = Duration::from_millis(2);
const WAIT: Duration = Duration::from_secs(10);

/// The function's body: a chunk at once, then one every [`EVERY`].
struct Generated {
    left: usize,
    pause: Option<Pin<Box<Sleep>>>,
}

impl Stream for Generated {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        if let Some(pause) = &mut self.pause {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        self.left -= 1;
        self.pause = Some(Box::pin(tokio::time::sleep(EVERY)));
        Poll::Ready(Some(Ok(Bytes::from(vec![b'x'; CHUNK]))))
    }
}

fn function() -> impl tower::Service<
    Invocation,
    Response = Response,
    Error = InvocationError,
    Future = impl Send + 'static,
> + Clone
       + Send
       + 'static {
    tower::service_fn(|_: Invocation| async {
        let body = Generated {
            left: CHUNKS,
            pause: None,
        };
        Ok(Response::stream("text/plain", body))
    })
}

fn start(env: Vec<(String, String)>) -> CancellationToken {
    let shutdown = CancellationToken::new();
    let run = Runtime::builder()
        .with_environment(Environment::from_vars(env))
        .run_until(function(), shutdown.clone());
    tokio::spawn(run);
    shutdown
}

/// Pushes one event and returns the time to the first chunk and to the
/// whole body.
async fn aws_once(emulator: &LambdaEmulator) -> (Duration, Duration) {
    // Timed from the push, with the runtime already waiting in `next`.
    assert!(
        emulator.wait_next_waiting(1, WAIT).await,
        "the runtime is idle"
    );
    let started = Instant::now();
    let id = emulator.push(Event::json(serde_json::json!({})));
    emulator
        .wait_streamed(&id, WAIT, |s| !s.chunks.is_empty())
        .await
        .expect("a first chunk");
    let first = started.elapsed();
    emulator.result(&id, WAIT).await.expect("the whole body");
    (first, started.elapsed())
}

async fn http_once(platform: &HttpPlatform) -> (Duration, Duration) {
    let json = [("content-type", "application/json")];
    let event = request(http::Method::POST, "/", &json, Bytes::from_static(b"{}"));
    let started = Instant::now();
    let mut reply = platform
        .caller()
        .send_streamed(event, WAIT)
        .await
        .expect("a reply");
    reply
        .next_chunk(WAIT)
        .await
        .expect("a chunk")
        .expect("a first chunk");
    let first = started.elapsed();
    reply.rest(WAIT).await.expect("the whole body");
    (first, started.elapsed())
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime");
    let emulator = runtime.block_on(async {
        let emulator = LambdaEmulator::start().await.expect("the emulator starts");
        start(vec![
            ("AWS_LAMBDA_RUNTIME_API".into(), emulator.runtime_api()),
            ("AWS_LAMBDA_FUNCTION_NAME".into(), "stream".into()),
        ]);
        emulator
    });
    let platform = HttpPlatform::knative().expect("a free port");
    runtime.block_on(async {
        start(platform.env());
        assert!(platform.wait_ready(WAIT).await, "the server listens");
    });

    let mut group = c.benchmark_group("ttfb");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(4));
    let timed = |pick: fn((Duration, Duration)) -> Duration, aws: bool| {
        let (runtime, emulator, platform) = (&runtime, &emulator, &platform);
        move |iters: u64| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let once = if aws {
                        aws_once(emulator).await
                    } else {
                        http_once(platform).await
                    };
                    total += pick(once);
                }
                total
            })
        }
    };
    group.bench_function("aws/first_byte", |b| b.iter_custom(timed(|t| t.0, true)));
    group.bench_function("aws/whole_body", |b| b.iter_custom(timed(|t| t.1, true)));
    group.bench_function("http/first_byte", |b| b.iter_custom(timed(|t| t.0, false)));
    group.bench_function("http/whole_body", |b| b.iter_custom(timed(|t| t.1, false)));
    group.finish();
}

// What `criterion_group!` and `criterion_main!` expand to, written out so
// that no undocumented public function is generated.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
