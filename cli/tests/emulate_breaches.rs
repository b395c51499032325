//! Bootstraps that break their platform's contract on purpose, and the
//! breach report `light-runtime emulate` gives for each: printed with the
//! invocation and returned as `X-Light-Runtime-Breach` headers.

mod emulate_support;

use emulate_support::{python, Emulate};

fn breaches(reply: &emulate_support::RawReply) -> String {
    reply.all("x-light-runtime-breach").join("\n")
}

#[test]
fn a_lambda_runtime_answering_twice_and_for_an_unknown_id_is_reported() {
    let emulate = Emulate::start(
        &["--platform", "aws"],
        &python("raw_client.py", &["serve"]),
        &[],
    );
    let clean = emulate.invoke(r#"{"n":1}"#);
    assert_eq!(breaches(&clean), "", "{clean:?}");

    let twice = emulate.invoke(r#"{"do":"twice"}"#);
    // The first answer stands.
    assert_eq!(twice.body, r#""first""#);
    let found = breaches(&twice);
    assert!(found.contains("after it was already answered"), "{found}");
    assert!(
        found.contains("unknown request id `no-such-request`"),
        "{found}"
    );
    assert!(found.contains("init/error after init was over"), "{found}");
    emulate.wait_line("BREACH: posted /response for unknown request id `no-such-request`");
}

#[test]
fn scf_without_init_ready_and_a_second_answer_are_reported() {
    let emulate = Emulate::start(
        &["--platform", "scf"],
        &python("scf_client.py", &["no-ready"]),
        &[],
    );
    let first = emulate.invoke(r#"{"n":1}"#);
    assert_eq!(first.status, 200);
    assert!(
        breaches(&first).contains("without POST /runtime/init/ready"),
        "{first:?}"
    );
    let request_id = first.header("x-amz-request-id").unwrap().to_owned();
    emulate.wait_line(&format!("log | handling {request_id}"));

    let twice = emulate.invoke(r#"{"do":"twice"}"#);
    assert_eq!(twice.body, r#"{"do":"twice"}"#);
    assert!(breaches(&twice).contains("posted 2 answers"), "{twice:?}");
    assert!(
        !breaches(&twice).contains("init/ready"),
        "init breaches come once"
    );

    // The well-behaved mode has none.
    let polite = Emulate::start(
        &["--platform", "scf"],
        &python("scf_client.py", &["ready"]),
        &[],
    );
    assert_eq!(breaches(&polite.invoke(r#"{"n":1}"#)), "");
}

#[test]
fn a_port_never_opened_and_an_exit_during_init_are_reported() {
    let emulate = Emulate::start(
        &["--platform", "fc", "--init-timeout", "500ms"],
        &["sleep".into(), "30".into()],
        &[],
    );
    let reply = emulate.invoke(r#"{"n":1}"#);
    assert_eq!(reply.header("x-amz-function-error"), Some("Unhandled"));
    assert_eq!(reply.json()["errorType"], "FunctionNotStarted");
    assert!(
        breaches(&reply).contains("did not listen on port"),
        "{reply:?}"
    );

    let emulate = Emulate::start(
        &["--platform", "scf-web"],
        &["sh".into(), "-c".into(), "echo booting; exit 3".into()],
        &[],
    );
    let reply = emulate.invoke(r#"{"n":1}"#);
    assert_eq!(reply.json()["errorType"], "Runtime.ExitError");
    assert!(
        breaches(&reply).contains("exited during init (exit status 3)"),
        "{reply:?}"
    );
    emulate.wait_line("[init] booting");
}

#[test]
fn bad_requests_and_options_get_clear_errors() {
    let emulate = Emulate::start(&["--platform", "http"], &["sleep".into(), "30".into()], &[]);
    let lost = emulate.request("GET", "/nowhere", &[], "");
    assert_eq!(lost.status, 404);
    assert!(lost.body.contains("no such path `/nowhere`"), "{lost:?}");
    let get = emulate.request("GET", "/2015-03-31/functions/f/invocations", &[], "");
    assert_eq!(get.status, 405);

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"))
        .args(["emulate", "--platform", "lambda", "--", "true"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown platform `lambda`"), "{stderr}");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"))
        .args([
            "emulate",
            "--platform",
            "aws",
            "--concurrency",
            "2",
            "--",
            "true",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("one invocation at a time"), "{stderr}");
}

#[test]
fn an_exit_mid_invocation_resets_the_instance_and_an_oversized_event_is_refused() {
    let emulate = Emulate::start(
        &["--platform", "aws"],
        &python("raw_client.py", &["serve"]),
        &[],
    );
    let crashed = emulate.invoke(r#"{"do":"exit"}"#);
    assert_eq!(crashed.header("x-amz-function-error"), Some("Unhandled"));
    assert_eq!(crashed.json()["errorType"], "Runtime.ExitError");
    assert!(crashed.json()["errorMessage"]
        .as_str()
        .unwrap()
        .contains("exit status 3"));
    emulate.wait_line("reset (exit status 3)");
    let after = emulate.invoke(r#"{"n":2}"#);
    assert_eq!(after.json()["n"], 2);
    assert!(after.cold(), "{after:?}");

    // Lambda's 6 MB synchronous payload limit, before the function sees it.
    let big = format!("\"{}\"", "x".repeat(6 * 1024 * 1024));
    let refused = emulate.invoke(&big);
    assert_eq!(refused.status, 413, "{}", refused.body);
    assert!(refused.body.contains("6291456 bytes"), "{}", refused.body);
    assert_eq!(emulate.wait_lines("started: pid", 2).len(), 2);
}
