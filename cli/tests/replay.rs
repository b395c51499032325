//! Capture and replay end to end, as a user runs them: `light-runtime
//! proxy` with `LIGHT_RUNTIME_CAPTURE=failures` in front of an awslambdaric
//! function on the Lambda emulator writes a capture of a failed
//! invocation; `light-runtime replay FILE -- BOOTSTRAP` runs it again
//! against the same build (reproduced, exit 0) and against a fixed one
//! (fixed: exit 1, or 0 with `--expect fixed`); a file that is not a
//! capture is refused naming the field.

mod proxy_support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use proxy_support::{awslambdaric_available, python_dir, Proxy, WAIT};
use serde_json::{json, Value};

fn orders(handler: &str) -> Vec<String> {
    vec![
        "python3".into(),
        "-m".into(),
        "awslambdaric".into(),
        format!("orders.{handler}"),
    ]
}

async fn wait_capture(dir: &Path) -> Option<PathBuf> {
    let until = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < until {
        let found = std::fs::read_dir(dir).ok().and_then(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|e| e == "json"))
        });
        if found.is_some() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// `light-runtime replay ARGS`, bounded.
async fn replay(args: &[&str], bootstrap: &[String]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"));
    command
        .arg("replay")
        .args(args)
        .env("PYTHONPATH", python_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .kill_on_drop(true);
    if !bootstrap.is_empty() {
        command.arg("--").args(bootstrap);
    }
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("replay ends by itself")
        .unwrap()
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_failure_replays_as_reproduced_on_the_same_build_and_fixed_on_a_fixed_one() {
    if !awslambdaric_available() {
        return;
    }
    let captures = tempfile::tempdir().unwrap();
    let emulator = LambdaEmulator::builder()
        .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:orders")
        .start()
        .await
        .unwrap();
    let env = vec![
        ("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), "orders".to_owned()),
        ("LIGHT_RUNTIME_CAPTURE".to_owned(), "failures".to_owned()),
        (
            "LIGHT_RUNTIME_CAPTURE_SINK".to_owned(),
            format!("dir:{}", captures.path().display()),
        ),
    ];
    let proxy = Proxy::start(&env, &[], &orders("handle"));
    let ok = emulator.push(Event::json(json!({"sku": "GOOD-1"})));
    let ok = emulator.result(&ok, WAIT).await.expect("an answer");
    assert!(!ok.is_error(), "{ok:?}");
    let failed = emulator.push(
        Event::json(json!({"sku": "BAD-1", "customer": {"password": "hunter2-hunter2"}}))
            .request_id("req-bad-1")
            .deadline_in(Duration::from_secs(20)),
    );
    let failed = emulator.result(&failed, WAIT).await.expect("an answer");
    assert_eq!(failed.error_type(), Some("OrderRejected"), "{failed:?}");
    let file = wait_capture(captures.path())
        .await
        .expect("a capture of the failure");
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(!written.contains("hunter2-hunter2"), "{written}");
    let scene: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(scene["context"]["request_id"], "req-bad-1");
    assert_eq!(scene["event"]["body"]["sku"], "BAD-1");
    let file = file.to_str().unwrap();

    // The same build: the failure happens again.
    let same = replay(
        &[file],
        &[
            env!("CARGO_BIN_EXE_light-runtime").to_owned(),
            "proxy".into(),
            "--".into(),
        ]
        .into_iter()
        .chain(orders("handle"))
        .collect::<Vec<_>>(),
    )
    .await;
    let (stdout, stderr) = text(&same);
    assert!(
        same.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("replay: captured: error OrderRejected: sku BAD-1 is not sold"),
        "{stdout}"
    );
    assert!(
        stdout.contains("replay: verdict: reproduced (same error type and message)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("/event/body/customer/password"),
        "the report names what was redacted: {stdout}"
    );

    // The same capture on another platform's emulator: the proxy serves
    // the function there as it would in FC.
    let on_fc = replay(
        &["--platform", "fc", file],
        &[
            env!("CARGO_BIN_EXE_light-runtime").to_owned(),
            "proxy".into(),
            "--".into(),
        ]
        .into_iter()
        .chain(orders("handle"))
        .collect::<Vec<_>>(),
    )
    .await;
    let (stdout, stderr) = text(&on_fc);
    assert!(
        on_fc.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("replay: verdict: reproduced"), "{stdout}");

    // A fixed build: not reproduced, so exit 1 unless a fix is expected.
    let fixed_build: Vec<String> = [
        env!("CARGO_BIN_EXE_light-runtime").to_owned(),
        "proxy".into(),
        "--".into(),
    ]
    .into_iter()
    .chain(orders("handle_fixed"))
    .collect();
    let fixed = replay(&[file], &fixed_build).await;
    let (stdout, stderr) = text(&fixed);
    assert_eq!(
        fixed.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("replay: verdict: fixed"), "{stdout}");
    assert!(stderr.contains("not the expected `reproduced`"), "{stderr}");
    let expected = replay(&["--expect", "fixed", file], &fixed_build).await;
    let (stdout, stderr) = text(&expected);
    assert!(
        expected.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_capture_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            json!({"format": "light-runtime-capture/2"}),
            "field `format` is `light-runtime-capture/2`",
        ),
        (json!({"hello": 1}), "no field `format`"),
        (
            json!({"format": "light-runtime-capture/1", "captured_at": 5}),
            "field `captured_at`",
        ),
    ];
    for (i, (content, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("{i}.json"));
        std::fs::write(&path, content.to_string()).unwrap();
        let out = replay(&[path.to_str().unwrap()], &["true".to_owned()]).await;
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(expected), "{expected} not in {stderr}");
        assert!(
            stderr.contains(&format!("{i}.json")),
            "names the file: {stderr}"
        );
    }
    // A field this version does not know is named too.
    let unknown = dir.path().join("unknown.json");
    let mut scene = valid_scene();
    scene["surprise"] = json!(true);
    std::fs::write(&unknown, scene.to_string()).unwrap();
    let (_, stderr) = text(&replay(&[unknown.to_str().unwrap()], &["true".to_owned()]).await);
    assert!(stderr.contains("unknown field `surprise`"), "{stderr}");
    // A cut event cannot be replayed, and says why.
    let cut = dir.path().join("cut.json");
    let mut scene = valid_scene();
    scene["event"] = json!({"encoding": "text", "body": "{\"sku\":", "truncated": true, "original_bytes": 90000});
    std::fs::write(&cut, scene.to_string()).unwrap();
    let (_, stderr) = text(&replay(&[cut.to_str().unwrap()], &["true".to_owned()]).await);
    assert!(
        stderr.contains("event was cut") && stderr.contains("LIGHT_RUNTIME_CAPTURE_MAX_BYTES"),
        "{stderr}"
    );
}

fn valid_scene() -> Value {
    json!({
        "format": "light-runtime-capture/1",
        "captured_at": "2026-12-04T12:00:00.000Z",
        "reason": "error",
        "runtime": {"version": "0.1.0", "platform": "aws", "function": "orders", "function_version": "$LATEST",
                    "handler": null, "memory_mb": null, "region": null, "layers": [], "plugins": []},
        "context": {"request_id": "r", "remaining_ms": 3000, "deadline_epoch_ms": null, "invoked_function_arn": null,
                    "trace_header": null, "client_context": null, "identity": null, "tenant_id": null,
                    "trigger": "other", "cold_start": true, "sequence": 1, "had_credentials": false},
        "headers": [],
        "event": {"encoding": "json", "body": {"sku": "BAD-1"}, "truncated": false, "original_bytes": 15},
        "error": {"type": "OrderRejected", "message": "no", "kind": "handler"},
        "logs": {"lines": [], "dropped": 0},
        "timings": {"pipeline_ms": 1.0, "remaining_at_end_ms": null},
        "redacted": [],
        "dropped_before": 0
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stdout_sink_writes_one_prefixed_line_per_capture() {
    if !awslambdaric_available() {
        return;
    }
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = vec![
        ("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api()),
        ("LIGHT_RUNTIME_CAPTURE".to_owned(), "failures".to_owned()),
        ("LIGHT_RUNTIME_CAPTURE_SINK".to_owned(), "stdout".to_owned()),
    ];
    let proxy = Proxy::start(&env, &[], &orders("handle"));
    for sku in ["GOOD-1", "BAD-1", "GOOD-2"] {
        let id = emulator.push(Event::json(json!({"sku": sku})).request_id(format!("req-{sku}")));
        emulator.result(&id, WAIT).await.expect("an answer");
    }
    // The write follows the answer: wait (bounded) for the line.
    let until = tokio::time::Instant::now() + WAIT;
    let lines = loop {
        let out = proxy.stdout();
        let lines: Vec<String> = out
            .lines()
            .filter_map(|l| l.strip_prefix("LIGHT_RUNTIME_CAPTURE "))
            .map(str::to_owned)
            .collect();
        if !lines.is_empty() || tokio::time::Instant::now() > until {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");
    assert_eq!(lines.len(), 1, "one failure, one line: {lines:?}");
    let scene = light_runtime::layers::capture::Scene::from_slice(lines[0].as_bytes()).unwrap();
    assert_eq!(scene.context.request_id, "req-BAD-1");
}
