//! Instructions per invocation of the SCF adapter against the AWS adapter,
//! under `valgrind --tool=callgrind`: the `echo` example run for a short and
//! a long series of sequential invocations on each platform's emulator; the
//! difference of the two totals divided by the difference of the counts is
//! the per-invocation cost, free of start-up and shutdown.
//!
//! ```text
//! cargo build --profile bench --example echo -p light-runtime-examples
//! cargo build --release -p light-runtime-benches --bin scf-callgrind
//! target/release/scf-callgrind [--short 100] [--long 600] [--echo target/release/examples/echo]
//! ```

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use light_runtime_benches::callgrind;
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::tencent_scf::{ScfEmulator, ScfEvent};
use tokio::process::Command;

const EVENT: &str = r#"{"hello":"world","n":[1,2,3]}"#;
const WAIT: Duration = Duration::from_secs(120);

fn option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|at| args.get(at + 1).cloned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let short: usize = option("--short")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let long: usize = option("--long").and_then(|v| v.parse().ok()).unwrap_or(600);
    let echo = option("--echo").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/examples/echo")
    });
    let mut per_invocation = Vec::new();
    for platform in ["aws", "scf"] {
        let a = run(platform, &echo, short).await?;
        let b = run(platform, &echo, long).await?;
        let per = (b as f64 - a as f64) / (long - short) as f64;
        println!(
            "{platform}: {a} Ir at {short}, {b} Ir at {long}: {per:.0} instructions per invocation"
        );
        per_invocation.push(per);
    }
    println!("scf / aws = {:.3}", per_invocation[1] / per_invocation[0]);
    Ok(())
}

/// Total instructions of `echo` serving `invocations` on `platform`.
async fn run(platform: &str, echo: &Path, invocations: usize) -> Result<u64, String> {
    let out =
        std::env::temp_dir().join(format!("light-runtime-{platform}-{invocations}.callgrind"));
    let _ = std::fs::remove_file(&out);
    let mut command = Command::new("valgrind");
    command
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(echo)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let aws;
    let scf;
    if platform == "aws" {
        aws = Some(
            LambdaEmulator::builder()
                .timeout(Duration::from_secs(600))
                .start()
                .await
                .map_err(|e| e.to_string())?,
        );
        command.env(
            "AWS_LAMBDA_RUNTIME_API",
            aws.as_ref().map(|e| e.runtime_api()).unwrap_or_default(),
        );
        scf = None;
    } else {
        scf = Some(
            ScfEmulator::with_limits(128, Duration::from_secs(600))
                .await
                .map_err(|e| e.to_string())?,
        );
        command.envs(scf.as_ref().map(|e| e.env()).unwrap_or_default());
        aws = None;
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start valgrind: {e}"))?;
    for _ in 0..invocations {
        let ok = if let Some(emulator) = &aws {
            let id = emulator.push(Event::raw(EVENT));
            emulator
                .result(&id, WAIT)
                .await
                .is_some_and(|r| !r.is_error())
        } else if let Some(emulator) = &scf {
            let id = emulator.push(ScfEvent::raw(EVENT));
            emulator
                .result(&id, WAIT)
                .await
                .is_some_and(|r| !r.is_error())
        } else {
            false
        };
        if !ok {
            return Err(format!(
                "{platform}: an invocation was not answered with a response"
            ));
        }
    }
    // Idle in `next` again, so runs differ only in their invocation count.
    let idle = match (&aws, &scf) {
        (Some(emulator), _) => emulator.wait_next_waiting(1, WAIT).await,
        (_, Some(emulator)) => emulator.wait_next_waiting(WAIT).await,
        _ => false,
    };
    if !idle {
        return Err(format!(
            "{platform}: the runtime did not come back to `next`"
        ));
    }
    let pid = child.id().ok_or("valgrind exited early")?;
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .await;
    tokio::time::timeout(WAIT, child.wait())
        .await
        .map_err(|_| format!("{platform}: valgrind did not exit after SIGTERM"))?
        .map_err(|e| e.to_string())?;
    callgrind::total_instructions(&out)
}
