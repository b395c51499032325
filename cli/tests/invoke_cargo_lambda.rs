//! `light-runtime invoke` against cargo-lambda's own emulator: `cargo lambda
//! watch` 1.9.2 (`pip install cargo-lambda==1.9.2`) builds and runs a small
//! Runtime API function (`tests/cargo_lambda_function/`, std only) and
//! serves its invoke endpoint; `invoke` sends events there and reads the
//! answer and the function's error as cargo-lambda sends them (a `500`
//! with Lambda's error document). Skipped, saying so, when the
//! `cargo-lambda` binary is not on `PATH`.

use std::process::{Output, Stdio};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

fn cargo_lambda_installed() -> bool {
    std::process::Command::new("cargo-lambda")
        .args(["lambda", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// `cargo lambda watch` in its own process group, killed with it.
struct Watch(tokio::process::Child);

impl Watch {
    /// SIGTERM first: cargo-lambda runs the function in a process group of
    /// its own and stops it only when asked to stop itself.
    async fn stop(mut self) {
        if let Some(pid) = self.0.id() {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.0.wait()).await;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(pid) = self.0.id() {
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
    }
}

async fn invoke(port: u16, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"));
    command
        .arg("invoke")
        .args(["--port", &port.to_string(), "--timeout", "240s"])
        .args(args)
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(300), command.output())
        .await
        .expect("invoke ends by itself")
        .unwrap()
}

#[tokio::test]
async fn invoke_reads_cargo_lambda_watch_answers_and_errors() {
    // Named here, not silently passed: a run without cargo-lambda proves nothing.
    if !cargo_lambda_installed() {
        eprintln!(
            "SKIPPED: no cargo-lambda on PATH; `pip install cargo-lambda==1.9.2` to run this test"
        );
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cargo_lambda_function");
    std::fs::create_dir(work.path().join("src")).unwrap();
    for file in ["Cargo.toml", "src/main.rs"] {
        std::fs::copy(format!("{source}/{file}"), work.path().join(file)).unwrap();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new("cargo-lambda")
        .args([
            "lambda",
            "watch",
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
            &port.to_string(),
        ])
        .current_dir(work.path())
        .env("CARGO_TARGET_DIR", work.path().join("target"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let watch = Watch(child);
    let listening = tokio::time::timeout(Duration::from_secs(60), async {
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(listening.is_ok(), "cargo lambda watch listens on {port}");

    // The first invocation builds the function; later ones reuse it.
    let answered = invoke(port, &["--data", r#"{"order": 7}"#]).await;
    let stderr = String::from_utf8_lossy(&answered.stderr);
    assert!(answered.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&answered.stdout),
        "{\"echo\":{\"order\": 7}}\n"
    );

    let failed = invoke(port, &["--data", r#""fail""#]).await;
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(
        stderr.contains("the function failed: OrderError: order 7 is unknown"),
        "{stderr}"
    );

    let example = invoke(port, &["--example", "sqs"]).await;
    assert!(example.status.success());
    let echoed: serde_json::Value = serde_json::from_slice(&example.stdout).unwrap();
    assert_eq!(echoed["echo"]["Records"][0]["eventSource"], "aws:sqs");
    watch.stop().await;
}
