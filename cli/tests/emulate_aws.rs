//! `light-runtime emulate --platform aws` running third-party bootstraps as
//! a user would: AWS's `lambda_runtime` 1.5 echo (the benches crate's
//! `echo-lambda-runtime`) and an `awslambdaric` handler, reached by raw
//! HTTP requests to the invoke endpoint. Proves the freeze (the process is
//! stopped, state `T`, between invocations and answers after), the
//! Function URL path, errors, the timeout and the reset that follows it.

#[path = "../../light-runtime/tests/support/mod.rs"]
mod support;

mod emulate_support;

use std::process::Command;

use emulate_support::{process_state, python_dir, Emulate};
use serde_json::json;

fn awslambdaric_available() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import awslambdaric"])
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!(
            "\n!!! SKIPPED: awslambdaric is not installed (`pip3 install awslambdaric`) !!!\n"
        );
    }
    found
}

#[test]
fn a_lambda_runtime_echo_is_frozen_between_invocations_and_answers_after() {
    let echo = support::lambda_runtime_echo();
    let emulate = Emulate::start(
        &[
            "--platform",
            "aws",
            "--function",
            "orders",
            "--memory",
            "256",
        ],
        &[echo.display().to_string()],
        &[],
    );
    let first = emulate.invoke(r#"{"order":1}"#);
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.json(), json!({"order": 1}));
    assert!(first.cold(), "the first invocation starts the instance");
    assert!(first.header("x-amz-function-error").is_none());
    assert!(first.all("x-light-runtime-breach").is_empty(), "{first:?}");
    let request_id = first.header("x-amz-request-id").unwrap().to_owned();
    // The report's header line names the invocation and its outcome.
    emulate.wait_line(&format!("== {request_id} ok init "));

    // Between invocations the bootstrap is stopped, as Lambda freezes it.
    let pid = emulate.instance_pid(1);
    assert_eq!(process_state(pid), Some('T'), "frozen after answering");

    // ... and it is thawed for the next one, on the same instance.
    let second = emulate.invoke(r#"{"order":2}"#);
    assert_eq!(second.json(), json!({"order": 2}));
    assert!(!second.cold(), "a warm invocation: {second:?}");
    assert_eq!(process_state(pid), Some('T'));

    // A Function URL request, as `curl` sends it to cargo-lambda's path: the
    // echo returns the payload 2.0 event, which Function URLs answer as JSON.
    let url = emulate.request("GET", "/lambda-url/orders/items/7?color=red", &[], "");
    assert_eq!(url.status, 200, "{url:?}");
    let event = url.json();
    assert_eq!(event["rawPath"], "/items/7");
    assert_eq!(event["queryStringParameters"]["color"], "red");
    assert_eq!(event["requestContext"]["http"]["method"], "GET");

    // Not JSON: lambda_runtime reports its own error, as Lambda returns it.
    let malformed = emulate.invoke("{not json");
    assert_eq!(malformed.header("x-amz-function-error"), Some("Unhandled"));
    assert!(!malformed.json()["errorType"].as_str().unwrap().is_empty());

    let status = emulate.interrupt();
    assert!(status.success(), "{status}");
}

#[test]
fn an_awslambdaric_handler_errors_times_out_and_cold_starts_again() {
    if !awslambdaric_available() {
        return;
    }
    let emulate = Emulate::start(
        &["--platform", "aws", "--timeout", "2s"],
        &[
            "python3".into(),
            "-m".into(),
            "awslambdaric".into(),
            "handler.echo".into(),
        ],
        &[("PYTHONPATH", python_dir().display().to_string())],
    );
    let context = emulate.invoke(r#"{"context":true}"#);
    let answer = context.json();
    assert_eq!(answer["function_name"], "function");
    assert_eq!(answer["memory_limit_in_mb"], "128");
    assert_eq!(answer["env"]["AWS_REGION"], "us-east-1");
    assert_eq!(
        answer["request_id"].as_str(),
        context.header("x-amz-request-id")
    );
    let remaining = answer["remaining_ms"].as_i64().unwrap();
    assert!((1..=2000).contains(&remaining), "{remaining}");

    let raised = emulate.invoke_with(r#"{"raise":"out of stock"}"#, &[("X-Amz-Log-Type", "Tail")]);
    assert_eq!(raised.header("x-amz-function-error"), Some("Unhandled"));
    assert_eq!(raised.json()["errorType"], "OrderRejected");
    assert_eq!(raised.json()["errorMessage"], "out of stock");

    // Past the 2 s timeout: Lambda's error, the instance reset (killed) ...
    let pid = emulate.instance_pid(1);
    let slow = emulate.invoke(r#"{"sleep":30}"#);
    assert_eq!(slow.header("x-amz-function-error"), Some("Unhandled"));
    assert_eq!(slow.json()["errorType"], "Sandbox.Timedout");
    assert!(slow.json()["errorMessage"]
        .as_str()
        .unwrap()
        .contains("Task timed out after 2.00 seconds"));
    emulate.wait_line("reset (signal 9 (SIGKILL))");
    assert_eq!(process_state(pid), None, "the timed-out instance is gone");

    // ... and the next invocation starts a new one.
    let after = emulate.invoke(r#"{"n":2}"#);
    assert_eq!(after.json(), json!({"n": 2}));
    assert!(after.cold(), "{after:?}");
    assert_ne!(emulate.instance_pid(2), pid);
}
