//! What the capture layer costs per invocation, in instructions under
//! callgrind on the Lambda emulator (the harness of `perf-guard`): the
//! same function with capture off, with `LIGHT_RUNTIME_CAPTURE=failures`
//! and a succeeding invocation (nothing is kept: the figure should match
//! "off"), and with capture on and a failing invocation (each one redacted
//! and written to a folder).
//!
//! This program is also the function it measures (`capture-cost
//! --function`): a handler that answers `{"ok":true}`, or fails with
//! `Order.Rejected` when the event says `"fail": true`.
//!
//! From the workspace root:
//!
//! ```text
//! cargo build --release -p light-runtime-benches --bin capture-cost
//! target/release/capture-cost
//! ```
//!
//! The per-invocation figure is `(I(250) − I(50)) / 200`: init and exit
//! cancel out. Every answer is checked.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use light_runtime::{Context, Error};
use light_runtime_benches::bootstrap::{Bootstrap, Kind};
use light_runtime_benches::callgrind::valgrind_version;
use light_runtime_benches::measure::{self, Payload};
use serde_json::{json, Value};

const LENGTHS: [usize; 2] = [50, 250];

async fn orders(event: Value, _ctx: Context) -> Result<Value, Error> {
    if event["fail"] == true {
        return Err(Error::with_type("Order.Rejected", "order 7 has no items"));
    }
    Ok(json!({"ok": true}))
}

fn function() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(light_runtime::run(orders)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("capture-cost --function: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A realistic event: an API Gateway request with headers and a JSON body.
fn event(fail: bool) -> String {
    json!({
        "fail": fail,
        "resource": "/orders",
        "httpMethod": "POST",
        "headers": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "Content-Type": "application/json"},
        "body": json!({"order": 7, "items": [], "card": "4111111111111111"}).to_string(),
        "requestContext": {"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "stage": "prod"}
    })
    .to_string()
}

fn run() -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let bin_dir: PathBuf = me
        .parent()
        .map(Path::to_path_buf)
        .ok_or("no parent directory")?;
    valgrind_version().ok_or("valgrind is not installed (apt-get install -y valgrind)")?;
    let work_dir = bin_dir.join("capture-cost.out");
    let captures = work_dir.join("captures");
    std::fs::create_dir_all(&captures)
        .map_err(|e| format!("cannot create {}: {e}", captures.display()))?;
    let function = Bootstrap::new(Kind::LightRuntime, me.clone()).with_args(["--function"]);
    let capturing = function
        .clone()
        .with_env("LIGHT_RUNTIME_CAPTURE", "failures")
        .with_env(
            "LIGHT_RUNTIME_CAPTURE_SINK",
            format!("dir:{}", captures.display()),
        )
        .with_env("LIGHT_RUNTIME_CAPTURE_RATE", "100000")
        .with_env("LIGHT_RUNTIME_CAPTURE_MAX_FILES", "100");
    let success = Payload::answered_by(event(false), json!({"ok": true}));
    let failure = Payload::answered_by(
        event(true),
        json!({"errorType": "Order.Rejected", "errorMessage": "order 7 has no items", "stackTrace": []}),
    );
    let measure = |bootstrap: &Bootstrap, payload: &Payload| {
        measure::per_invocation("capture-cost", bootstrap, payload, &LENGTHS, &work_dir)
            .map(|f| f[0])
    };
    let off_success = measure(&function, &success)?;
    let on_success = measure(&capturing, &success)?;
    let off_failure = measure(&function, &failure)?;
    let on_failure = measure(&capturing, &failure)?;
    let written = std::fs::read_dir(&captures).map(|d| d.count()).unwrap_or(0);
    println!(
        "instructions per invocation ({} -> {} invocations):\n  \
         capture off, success:           {off_success:.0}\n  \
         capture on (failures), success: {on_success:.0} ({:+.0}, {:+.2}%)\n  \
         capture off, failure:           {off_failure:.0}\n  \
         capture on (failures), failure: {on_failure:.0} ({:+.0}: redact, serialise, write a file)\n  \
         ({written} capture files in {})",
        LENGTHS[0],
        LENGTHS[1],
        on_success - off_success,
        (on_success - off_success) / off_success * 100.0,
        on_failure - off_failure,
        captures.display()
    );
    if written == 0 {
        return Err("capture on wrote no file: the failure figure measured nothing".into());
    }
    Ok(())
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("--function") {
        return function();
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("capture-cost: {message}");
            ExitCode::from(2)
        }
    }
}
