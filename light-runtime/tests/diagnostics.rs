//! The runtime's own warnings reach stderr exactly once, in the platform's
//! log format, whatever the function installs; and a layer asked for twice
//! (in code and in `LIGHT_RUNTIME_LAYERS`) is installed once, with a note.
//!
//! Each case runs a real child process, this test binary re-run with
//! [`CHILD_VAR`] naming the case, against the Lambda emulator; the test
//! captures its stdout and stderr. The emulator refuses the runtime's
//! extension registration, which the runtime warns about at init.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use light_runtime::{Context, Error, Runtime};
use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use serde_json::{json, Value};

mod support;

const WAIT: Duration = Duration::from_secs(10);

/// Names the case the child runs; unset in the parent.
const CHILD_VAR: &str = "LIGHT_RUNTIME_TEST_CHILD";

/// The phrase of the warning the refused registration causes.
const REFUSED: &str = "refused extension";

/// What a child printed, and how its one invocation was answered.
struct ChildRun {
    stdout: String,
    stderr: String,
    result: Option<InvocationResult>,
}

/// Runs case `case` in a child process with `vars` set, answers one event,
/// then stops the child.
async fn run_child(case: &str, vars: &[(&str, &str)]) -> ChildRun {
    let emulator = LambdaEmulator::start().await.unwrap();
    emulator.refuse_extensions(true);
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, case)
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env_remove("RUST_LOG")
        .env_remove("LIGHT_RUNTIME_LAYERS")
        .env_remove("AWS_LAMBDA_LOG_FORMAT")
        .env_remove("LIGHT_RUNTIME_LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in vars {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the child starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let id = emulator.push(Event::json(json!({"n": 1})));
    let result = emulator.result(&id, WAIT).await;
    // The child we started, by its handle; it has nothing left to say.
    let _ = child.kill();
    let _ = child.wait();
    ChildRun {
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        result,
    }
}

impl ChildRun {
    fn answered(&self) -> bool {
        matches!(self.result, Some(InvocationResult::Response { .. }))
    }

    fn explain(&self) -> String {
        format!(
            "result: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.result, self.stdout, self.stderr
        )
    }
}

/// The child: the runtime with what `case` asks for, until killed.
#[test]
fn child() {
    let Ok(case) = std::env::var(CHILD_VAR) else {
        return; // Only a child process runs this.
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let handler = |event: Value, _ctx: Context| async move { Ok::<_, Error>(event) };
    let result = runtime.block_on(async move {
        match case.as_str() {
            "plain" => Runtime::builder().run(handler).await,
            "own_subscriber" => {
                tracing_subscriber::fmt()
                    .with_writer(std::io::stdout)
                    .with_ansi(false)
                    .init();
                Runtime::builder().run(handler).await
            }
            "logging_in_code" => {
                Runtime::builder()
                    .lifecycle_layer(light_runtime::layers::LoggingLayer::from_env())
                    .run(handler)
                    .await
            }
            "tracing_in_code" => {
                Runtime::builder()
                    .lifecycle_layer(light_runtime::layers::TracingLayer::from_env())
                    .run(handler)
                    .await
            }
            other => panic!("unknown child case {other}"),
        }
    });
    eprintln!("child runtime stopped: {result:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_subscriber_a_warning_reaches_stderr_once_as_text() {
    let run = run_child("plain", &[]).await;
    assert!(run.answered(), "{}", run.explain());
    assert_eq!(run.stderr.matches(REFUSED).count(), 1, "{}", run.explain());
    let line = run.stderr.lines().find(|l| l.contains(REFUSED)).unwrap();
    assert!(line.contains("WARN"), "{}", run.explain());
    assert!(!run.stdout.contains(REFUSED), "{}", run.explain());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_lambda_json_format_the_warning_is_a_lambda_json_line() {
    let run = run_child("plain", &[("AWS_LAMBDA_LOG_FORMAT", "JSON")]).await;
    assert!(run.answered(), "{}", run.explain());
    assert_eq!(run.stderr.matches(REFUSED).count(), 1, "{}", run.explain());
    let line = run.stderr.lines().find(|l| l.contains(REFUSED)).unwrap();
    let json: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{}", run.explain()));
    assert_eq!(json["level"], "WARN", "{line}");
    assert!(
        json["message"].as_str().unwrap().contains(REFUSED),
        "{line}"
    );
    assert!(json["timestamp"].as_str().is_some(), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_logging_layer_the_warning_is_not_printed_twice() {
    let run = run_child("logging_in_code", &[]).await;
    assert!(run.answered(), "{}", run.explain());
    let printed = run.stdout.matches(REFUSED).count() + run.stderr.matches(REFUSED).count();
    assert_eq!(printed, 1, "{}", run.explain());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_users_subscriber_the_warning_goes_there_only() {
    let run = run_child("own_subscriber", &[]).await;
    assert!(run.answered(), "{}", run.explain());
    assert_eq!(run.stdout.matches(REFUSED).count(), 1, "{}", run.explain());
    assert!(!run.stderr.contains(REFUSED), "{}", run.explain());
}

/// Issue 12 part 8: `LIGHT_RUNTIME_LAYERS` naming a layer the code adds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_in_code_and_in_the_environment_is_installed_once_with_a_note() {
    for layers in ["logging", "all"] {
        let run = run_child("logging_in_code", &[("LIGHT_RUNTIME_LAYERS", layers)]).await;
        assert!(
            run.answered(),
            "LIGHT_RUNTIME_LAYERS={layers}: {}",
            run.explain()
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.explain());
        let note = "LIGHT_RUNTIME_LAYERS names `logging`";
        assert_eq!(run.stderr.matches(note).count(), 1, "{}", run.explain());
    }
}

/// The same for the tracing layer, whose second subscriber made every
/// invocation fail with `Function.Panic`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tracing_layer_in_code_and_in_the_environment_is_installed_once() {
    let run = run_child("tracing_in_code", &[("LIGHT_RUNTIME_LAYERS", "tracing")]).await;
    assert!(run.answered(), "{}", run.explain());
    let note = "LIGHT_RUNTIME_LAYERS names `tracing`";
    assert_eq!(run.stderr.matches(note).count(), 1, "{}", run.explain());
}

/// A bad variable read while the layers are built is reported once, not
/// once by `tracing` and once more straight to stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_variable_is_reported_once() {
    let run = run_child(
        "plain",
        &[
            ("LIGHT_RUNTIME_LAYERS", "logging"),
            ("AWS_LAMBDA_LOG_LEVEL", "loud"),
        ],
    )
    .await;
    assert!(run.answered(), "{}", run.explain());
    let warning = "AWS_LAMBDA_LOG_LEVEL=`loud` is not valid";
    let printed = run.stdout.matches(warning).count() + run.stderr.matches(warning).count();
    assert_eq!(printed, 1, "{}", run.explain());
}

/// The echo example is built without any layer feature: there a set
/// `LIGHT_RUNTIME_LAYERS` is reported at init, not ignored silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_layers_features_the_variable_is_reported_at_init() {
    let echo = support::echo_example();
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut child = Command::new(echo)
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env("LIGHT_RUNTIME_LAYERS", "logging")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("echo starts");
    let mut stderr = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let id = emulator.push(Event::json(json!({"n": 1})));
    let result = emulator.result(&id, WAIT).await;
    // The child we started, by its handle.
    let _ = child.kill();
    let _ = child.wait();
    let stderr = err.join().unwrap();
    assert!(
        matches!(result, Some(InvocationResult::Response { .. })),
        "{result:?}\n{stderr}"
    );
    let note = "LIGHT_RUNTIME_LAYERS=logging is ignored";
    assert_eq!(stderr.matches(note).count(), 1, "{stderr}");
    assert!(stderr.contains("cargo feature `logging`"), "{stderr}");
}
