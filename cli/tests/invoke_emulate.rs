//! `light-runtime invoke` against `light-runtime emulate`, both spawned as
//! a user runs them: a Runtime API function (`tests/cargo_lambda_function/`,
//! std only, built here with `rustc`) under the AWS emulator answers,
//! fails, logs and reports its timings through the invoke endpoint.

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

/// Compiles the std-only function into `dir`.
fn build_function(dir: &std::path::Path) -> PathBuf {
    let source = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cargo_lambda_function/src/main.rs"
    );
    let binary = dir.join("bootstrap");
    let status =
        std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .args(["--edition", "2021", "-O", source, "-o"])
            .arg(&binary)
            .status()
            .expect("rustc runs");
    assert!(status.success(), "the function compiles");
    binary
}

async fn invoke(port: u16, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"));
    command
        .arg("invoke")
        .args(["--port", &port.to_string(), "--timeout", "30s"])
        .args(args)
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("invoke ends by itself")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn invoke_reads_emulate_answers_errors_timings_and_the_log_tail() {
    let work = tempfile::tempdir().unwrap();
    let bootstrap = build_function(work.path());
    let mut emulate = tokio::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"))
        .args(["emulate", "--platform", "aws", "--port", "0", "--"])
        .arg(&bootstrap)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(emulate.stdout.take().unwrap()).lines();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some((_, rest)) = line.split_once(" at http://127.0.0.1:") {
                return rest
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .parse::<u16>()
                    .unwrap();
            }
        }
        panic!("emulate ended without printing its endpoint");
    })
    .await
    .expect("emulate prints its endpoint");
    // Keep reading emulate's report so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let answered = invoke(port, &["--data", r#"{"order": 7}"#]).await;
    let stderr = text(&answered.stderr);
    assert!(answered.status.success(), "{stderr}");
    assert_eq!(text(&answered.stdout), "{\"echo\":{\"order\": 7}}\n");
    assert!(
        stderr.contains("init ") && stderr.contains("invoke ") && stderr.contains("total "),
        "timings: {stderr}"
    );

    let failed = invoke(port, &["--data", r#""fail""#, "--tail"]).await;
    let stderr = text(&failed.stderr);
    assert!(!failed.status.success());
    assert!(
        stderr.contains("the function failed: OrderError: order 7 is unknown"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--- log tail ---") && stderr.contains("handling "),
        "{stderr}"
    );
    assert!(
        !stderr.contains("init "),
        "a warm instance has no init timing: {stderr}"
    );

    let example = invoke(port, &["--example", "s3"]).await;
    assert!(example.status.success(), "{}", text(&example.stderr));
    let echoed: serde_json::Value = serde_json::from_slice(&example.stdout).unwrap();
    assert_eq!(echoed["echo"]["Records"][0]["eventSource"], "aws:s3");

    let nix_pid = nix::unistd::Pid::from_raw(emulate.id().unwrap() as i32);
    let _ = nix::sys::signal::kill(nix_pid, nix::sys::signal::Signal::SIGTERM);
    let exited = tokio::time::timeout(Duration::from_secs(20), emulate.wait()).await;
    assert!(exited.is_ok(), "emulate stops on SIGTERM");
}
