//! Criterion benches of the per-invocation cost of the engine pipeline, in
//! process, with no I/O: what light-runtime adds around a handler for each
//! invocation, apart from talking to the platform.
//!
//! - `pipeline/*`: `runtime_engine::Lifecycle` + `HookService` around a
//!   `tower::service_fn` echo, with 0 hooks and with 2 no-op hooks, without
//!   and with a deadline (a real Lambda event always has one; it arms a timer).
//! - `fn_service/*`: light-runtime's `FnService` (decode the JSON event into a
//!   `serde_json::Value`, call the async fn, encode the response), alone and
//!   inside the pipeline with a deadline: the whole in-process cost of
//!   `examples/echo.rs` per invocation.
//!
//! Each invocation builds its context (`Lifecycle::context`), as the adapter
//! does. `cargo bench -p light-runtime-benches --bench pipeline`.

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use light_runtime::Handler;
use runtime_engine::{
    BoxError, Budgets, Context, Deadline, FunctionInfo, Hook, Invocation, Lifecycle, Outcome,
    Platform, Response,
};
use serde_json::Value;
use tokio::runtime::Runtime;
use tower::{service_fn, Layer, Service, ServiceExt};

/// The event of the end-to-end harness.
const PAYLOAD: &str = r#"{"hello":"world","n":1}"#;

/// A hook that implements no phase: it measures what a registered hook costs
/// by being there.
struct NoOp;

impl Hook for NoOp {}

fn lifecycle(hooks: usize) -> Arc<Lifecycle> {
    let hooks: Vec<Box<dyn Hook>> = (0..hooks)
        .map(|_| Box::new(NoOp) as Box<dyn Hook>)
        .collect();
    Arc::new(Lifecycle::new(
        FunctionInfo::new(Platform::Local, "echo"),
        hooks,
        Budgets::default(),
    ))
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread tokio runtime")
}

/// Runs `iters` invocations through `service` inside one `block_on`, so that
/// only the per-invocation work is timed.
fn invocations<S>(
    runtime: &Runtime,
    lifecycle: &Lifecycle,
    service: &S,
    deadline: bool,
    iters: u64,
) -> Duration
where
    S: Service<Invocation, Response = Outcome, Error = Infallible> + Clone,
{
    let mut service = service.clone();
    runtime.block_on(async {
        let started = Instant::now();
        for _ in 0..iters {
            let mut context = lifecycle.context("bench-request");
            if deadline {
                context = context.deadline(Deadline::after(Duration::from_secs(3)));
            }
            let invocation = Invocation::new(context.build(), PAYLOAD);
            let outcome = match service.ready().await {
                Ok(ready) => ready.call(invocation).await,
                Err(never) => match never {},
            };
            black_box(outcome.ok());
        }
        started.elapsed()
    })
}

async fn echo(event: Value, _context: Context) -> Result<Value, light_runtime::Error> {
    Ok(event)
}

fn pipeline(c: &mut Criterion) {
    let runtime = runtime();
    let handler =
        service_fn(|inv: Invocation| async move { Ok::<_, BoxError>(Response::json(inv.payload)) });
    let mut group = c.benchmark_group("pipeline");
    for (name, hooks, deadline) in [
        ("0_hooks", 0, false),
        ("2_noop_hooks", 2, false),
        ("0_hooks_deadline", 0, true),
        ("2_noop_hooks_deadline", 2, true),
    ] {
        let lifecycle = lifecycle(hooks);
        let service = lifecycle.layer().layer(handler);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| invocations(&runtime, &lifecycle, &service, deadline, iters));
        });
    }
    group.finish();
}

fn fn_service(c: &mut Criterion) {
    let runtime = runtime();
    let mut group = c.benchmark_group("fn_service");

    let lifecycle = lifecycle(0);
    let direct = echo.into_service();
    group.bench_function("direct", |b| {
        b.iter_custom(|iters| {
            let mut service = direct.clone();
            runtime.block_on(async {
                let started = Instant::now();
                for _ in 0..iters {
                    let invocation =
                        Invocation::new(lifecycle.context("bench-request").build(), PAYLOAD);
                    let response = service.call(invocation).await;
                    black_box(response.ok());
                }
                started.elapsed()
            })
        });
    });

    let service = lifecycle.layer().layer(echo.into_service());
    group.bench_function("0_hooks_deadline", |b| {
        b.iter_custom(|iters| invocations(&runtime, &lifecycle, &service, true, iters));
    });
    group.finish();
}

// What `criterion_group!` and `criterion_main!` expand to, written out so
// that no undocumented public function is generated.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    pipeline(&mut criterion);
    fn_service(&mut criterion);
    criterion.final_summary();
}
