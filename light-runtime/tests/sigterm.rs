//! A real SIGTERM: in-flight work finishes, Close and End run, `run` is Ok.
//!
//! Alone in its own test binary because the signal goes to the whole process.

use std::time::Duration;

use light_runtime::{Context, Environment, Error, Phase, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::recording::RecordingHook;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn sigterm_runs_close_and_end_after_in_flight_work_and_exits_cleanly() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())]);
    let hook = RecordingHook::new("recorder");
    let closed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runtime = Runtime::builder()
        .with_environment(env)
        .hook(hook.clone())
        .on_close({
            let closed = closed.clone();
            move || async move {
                closed.store(true, std::sync::atomic::Ordering::SeqCst);
                Ok::<_, Error>(())
            }
        })
        .run(|event: Value, _ctx: Context| async move {
            // Slow enough that SIGTERM lands while it is in flight.
            tokio::time::sleep(Duration::from_millis(200)).await;
            Ok::<_, Error>(event)
        });
    let task = tokio::spawn(runtime);

    assert!(
        emulator.wait_next_waiting(1, WAIT).await,
        "runtime is polling"
    );
    let id = emulator.push(Event::json(json!({"slow": true})));
    // Wait until the event has been handed out, then signal mid-invocation.
    tokio::time::timeout(WAIT, async {
        while emulator.count("/invocation/next") < 1 || emulator.max_in_flight() < 1 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("event handed out");
    // SAFETY: kill(2) on our own pid with a valid signal number touches no memory.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
    assert_eq!(sent, 0);

    let result = tokio::time::timeout(WAIT, task)
        .await
        .expect("stops in time")
        .unwrap();
    assert!(result.is_ok(), "orderly shutdown: {result:?}");
    assert_eq!(
        emulator.answers_for(&id),
        1,
        "the in-flight invocation was answered"
    );
    assert!(!emulator.result(&id, WAIT).await.unwrap().is_error());
    assert!(
        closed.load(std::sync::atomic::Ordering::SeqCst),
        "on_close ran"
    );
    let phases = hook.phases();
    assert_eq!(
        &phases[phases.len() - 2..],
        &[Phase::Close, Phase::End],
        "Close then End last: {phases:?}"
    );
    assert!(phases.contains(&Phase::AfterResponse));
}
