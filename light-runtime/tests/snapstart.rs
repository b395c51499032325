//! SnapStart against the Lambda emulator: `Snapshot` and `Restore` around
//! `/runtime/restore/next`, their failures where AWS's runtime clients
//! report them, the Runtime API connection re-opened after the restore,
//! and the initialisation type in `Context`.

use std::time::Duration;

mod support;
use support::running::{echo, env_for};

use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Phase, Runtime, RuntimeError};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::recording::{RecordingHook, SharedLog};
use light_runtime_testkit::stop_runtime;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);
const SNAP_START: (&str, &str) = ("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start");

type RunTask = tokio::task::JoinHandle<Result<(), RuntimeError>>;

fn snap_start_env(emulator: &LambdaEmulator) -> Environment {
    env_for(emulator, &[(SNAP_START.0, SNAP_START.1.to_owned())])
}

fn start(env: Environment, hooks: Vec<RecordingHook>) -> (CancellationToken, RunTask) {
    let shutdown = CancellationToken::new();
    let mut builder = Runtime::builder().with_environment(env);
    for hook in hooks {
        builder = builder.hook(hook);
    }
    let task = tokio::spawn(builder.run_until(echo, shutdown.clone()));
    (shutdown, task)
}

/// Waits for the runtime to end on its own and returns how.
async fn ended(task: RunTask) -> Result<(), RuntimeError> {
    tokio::time::timeout(WAIT, task)
        .await
        .expect("the runtime exits by itself")
        .expect("the runtime task does not panic")
}

async fn snap_start_emulator() -> LambdaEmulator {
    LambdaEmulator::builder()
        .snap_start()
        .start()
        .await
        .unwrap()
}

/// The paths the runtime called, in order, without the API version.
fn paths(emulator: &LambdaEmulator) -> Vec<String> {
    emulator
        .calls()
        .into_iter()
        .map(|call| call.path.replace("/2018-06-01/runtime/", ""))
        .filter(|path| !path.starts_with("/2020-01-01/extension"))
        .collect()
}

#[tokio::test]
async fn snapshot_hooks_run_in_reverse_and_restore_hooks_in_order_around_restore_next() {
    let emulator = snap_start_emulator().await;
    let log = SharedLog::new();
    let hooks = vec![
        RecordingHook::with_log("pool", log.clone()),
        RecordingHook::with_log("client", log.clone()),
    ];
    let (shutdown, task) = start(snap_start_env(&emulator), hooks);
    let id = emulator.push(Event::json(json!({"n": 1})));
    let result = emulator.result(&id, WAIT).await.expect("an answer");
    assert_eq!(result.body_json().unwrap(), json!({"n": 1}));
    assert_eq!(emulator.restores(), 1);
    let init: Vec<_> = log
        .sequence()
        .into_iter()
        .filter(|(_, phase)| phase < &Phase::BeforeInvoke)
        .collect();
    let expected = [
        ("pool", Phase::RuntimeStart),
        ("client", Phase::RuntimeStart),
        ("pool", Phase::FunctionStart),
        ("client", Phase::FunctionStart),
        ("client", Phase::Snapshot),
        ("pool", Phase::Snapshot),
        ("pool", Phase::Restore),
        ("client", Phase::Restore),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(hook, phase)| ((*hook).to_owned(), *phase))
        .collect();
    assert_eq!(init, expected);
    // restore/next comes after init and before the first next.
    let calls = paths(&emulator);
    let restore = calls.iter().position(|p| p == "restore/next").unwrap();
    let next = calls.iter().position(|p| p == "invocation/next").unwrap();
    assert!(restore < next, "{calls:?}");
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn the_runtime_api_connection_is_reopened_after_the_restore() {
    let emulator = snap_start_emulator().await;
    let (shutdown, task) = start(snap_start_env(&emulator), vec![]);
    for n in 0..3 {
        let id = emulator.push(Event::json(json!({"n": n})));
        let result = emulator.result(&id, WAIT).await.expect("an answer");
        assert!(!result.is_error(), "{result:?}");
    }
    // The connection restore/next went out on is from before the snapshot:
    // a call on it after the restore would be recorded here.
    assert_eq!(emulator.stale_connection_calls(), vec![]);
    assert_eq!(emulator.count("invocation/next"), 3);
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn a_failing_restore_hook_is_posted_to_restore_error_and_the_runtime_exits() {
    let emulator = snap_start_emulator().await;
    let log = SharedLog::new();
    let hooks = vec![
        RecordingHook::with_log("pool", log.clone()),
        RecordingHook::with_log("cache", log.clone()).fail_at(Phase::Restore),
        RecordingHook::with_log("client", log.clone()),
    ];
    let (_shutdown, task) = start(snap_start_env(&emulator), hooks);
    let error = ended(task)
        .await
        .expect_err("a failed restore ends the runtime");
    assert_eq!(error.init_phase(), Some(Phase::Restore));
    let posted = emulator.restore_error().expect("posted to /restore/error");
    assert_eq!(posted.status, 202);
    assert_eq!(
        posted.header("lambda-runtime-function-error-type"),
        Some("Runtime.AfterRestoreError")
    );
    let body = posted.body_json().unwrap();
    assert_eq!(body["errorType"], "Runtime.AfterRestoreError");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("`cache` told to fail at Restore"),
        "{message}"
    );
    // The hooks after the failing one did not run, and no event was asked for.
    let restored: Vec<_> = log
        .sequence()
        .into_iter()
        .filter(|(_, phase)| *phase == Phase::Restore)
        .map(|(hook, _)| hook)
        .collect();
    assert_eq!(restored, ["pool", "cache"]);
    assert_eq!(emulator.count("invocation/next"), 0);
    assert!(emulator.init_error().is_none());
}

#[tokio::test]
async fn a_failing_snapshot_hook_is_an_init_error_and_no_snapshot_is_taken() {
    let emulator = snap_start_emulator().await;
    let hooks = vec![RecordingHook::new("pool").fail_at(Phase::Snapshot)];
    let (_shutdown, task) = start(snap_start_env(&emulator), hooks);
    let error = ended(task)
        .await
        .expect_err("a failed snapshot ends the runtime");
    assert_eq!(error.init_phase(), Some(Phase::Snapshot));
    let posted = emulator.init_error().expect("posted to /init/error");
    assert_eq!(
        posted.header("lambda-runtime-function-error-type"),
        Some("Runtime.BeforeSnapshotError")
    );
    assert_eq!(emulator.count("restore/next"), 0);
    assert_eq!(emulator.restores(), 0);
}

#[tokio::test]
async fn a_runtime_without_hooks_serves_as_before_under_snap_start() {
    let emulator = snap_start_emulator().await;
    let (shutdown, task) = start(snap_start_env(&emulator), vec![]);
    let id = emulator.push(Event::json(json!("hello")));
    let result = emulator.result(&id, WAIT).await.expect("an answer");
    assert_eq!(result.body_json().unwrap(), json!("hello"));
    assert_eq!(
        paths(&emulator)[..2],
        ["restore/next".to_owned(), "invocation/next".to_owned()]
    );
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn without_snap_start_there_is_no_restore_call_and_no_snapshot_phase() {
    // The emulator serves restore calls, but the runtime is on demand.
    let emulator = snap_start_emulator().await;
    let hook = RecordingHook::new("pool");
    let (shutdown, task) = start(env_for(&emulator, &[]), vec![hook.clone()]);
    let id = emulator.push(Event::json(json!(1)));
    emulator.result(&id, WAIT).await.expect("an answer");
    stop_runtime(&shutdown, task).await;
    assert_eq!(emulator.count("restore/next"), 0);
    let phases = hook.phases();
    assert!(!phases.contains(&Phase::Snapshot), "{phases:?}");
    assert!(!phases.contains(&Phase::Restore), "{phases:?}");
}

#[tokio::test]
async fn the_context_says_how_the_instance_was_initialised() {
    for (value, expected) in [
        (None, "on-demand"),
        (Some("provisioned-concurrency"), "provisioned-concurrency"),
        (Some("snap-start"), "snap-start"),
        (Some("something-new"), "unrecognised"),
    ] {
        let emulator = snap_start_emulator().await;
        let extra: Vec<(&str, String)> = value
            .map(|v| (SNAP_START.0, v.to_owned()))
            .into_iter()
            .collect();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(
            Runtime::builder()
                .with_environment(env_for(&emulator, &extra))
                .run_until(
                    |_: Value, ctx: Context| async move {
                        Ok::<_, Error>(json!({
                            "initialization": ctx.initialization().name(),
                            "cold_start": ctx.is_cold_start(),
                        }))
                    },
                    shutdown.clone(),
                ),
        );
        let id = emulator.push(Event::json(json!({})));
        let seen = emulator.result(&id, WAIT).await.expect("an answer");
        assert_eq!(
            seen.body_json().unwrap(),
            json!({"initialization": expected, "cold_start": true}),
            "{value:?}"
        );
        stop_runtime(&shutdown, task).await;
    }
}
