//! A typed SQS batch of 10 records (one rejected) through light-runtime's
//! batch handler (`examples/sqs_batch.rs`) and through `lambda_runtime` +
//! `aws_lambda_events` with the same check (`sqs-batch-lambda-runtime`):
//! instructions per invocation under callgrind, on the same Lambda
//! emulator as `perf-guard`, and their ratio.
//!
//! From the workspace root:
//!
//! ```text
//! cargo build --release --example sqs_batch -p light-runtime-examples
//! cargo build --release -p light-runtime-benches --bins
//! cargo run --release -p light-runtime-benches --bin sqs-batch-callgrind
//! ```
//!
//! The per-invocation figure is `(I(250) − I(50)) / 200`: init and exit
//! cancel out. Every answer is checked to be
//! `{"batchItemFailures":[{"itemIdentifier":"m-7"}]}`. Fails (exit 1) when
//! light-runtime costs more than 0.5× the reference (issue 14's target;
//! CI runs it).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use light_runtime_benches::bootstrap::{Bootstrap, Kind};
use light_runtime_benches::callgrind::valgrind_version;
use light_runtime_benches::measure::{self, Payload};
use serde_json::{json, Value};

const LENGTHS: [usize; 2] = [50, 250];

/// The most light-runtime may cost, as a share of the reference.
const MAX_RATIO: f64 = 0.5;

/// Ten SQS records as Lambda sends them; `m-7` orders nothing.
fn batch() -> Value {
    let records: Vec<Value> = (0..10)
        .map(|i| {
            json!({
                "messageId": format!("m-{i}"),
                "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
                "body": json!({"order": i, "qty": if i == 7 { 0 } else { i + 1 }, "sku": "B07XJ8C8F5"}).to_string(),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1545082649183",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1545082649185"
                },
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:orders",
                "awsRegion": "us-east-2"
            })
        })
        .collect();
    json!({ "Records": records })
}

fn per_invocation(bootstrap: &Bootstrap, work_dir: &Path) -> Result<f64, String> {
    let payload = Payload::answered_by(
        batch().to_string(),
        json!({"batchItemFailures": [{"itemIdentifier": "m-7"}]}),
    );
    let figures = measure::per_invocation(
        "sqs-batch-callgrind",
        bootstrap,
        &payload,
        &LENGTHS,
        work_dir,
    )?;
    Ok(figures[0])
}

fn run() -> Result<(), String> {
    let bin_dir: PathBuf = std::env::current_exe()
        .map_err(|error| format!("cannot find this program's directory: {error}"))?
        .parent()
        .map(Path::to_path_buf)
        .ok_or("this program has no parent directory")?;
    valgrind_version().ok_or("valgrind is not installed (apt-get install -y valgrind)")?;
    let work_dir = bin_dir.join("sqs-batch-callgrind.out");
    std::fs::create_dir_all(&work_dir)
        .map_err(|error| format!("cannot create {}: {error}", work_dir.display()))?;
    let located = |relative: &str, kind| {
        let path = bin_dir.join(relative);
        if path.is_file() {
            Ok(Bootstrap::new(kind, path))
        } else {
            Err(format!(
                "{} not found; build it first (see the module docs of sqs-batch-callgrind.rs)",
                path.display()
            ))
        }
    };
    let ours = per_invocation(
        &located("examples/sqs_batch", Kind::LightRuntime)?,
        &work_dir,
    )?;
    let theirs = per_invocation(
        &located("sqs-batch-lambda-runtime", Kind::LambdaRuntime)?,
        &work_dir,
    )?;
    println!(
        "SQS batch of 10 records, instructions per invocation ({} -> {} invocations): \
         light-runtime batch::each {ours:.0}, lambda_runtime + aws_lambda_events {theirs:.0}, \
         ratio {:.3}x",
        LENGTHS[0],
        LENGTHS[1],
        ours / theirs
    );
    if ours / theirs > MAX_RATIO {
        return Err(format!(
            "light-runtime costs {:.3}x the reference, above the {MAX_RATIO}x target",
            ours / theirs
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sqs-batch-callgrind: {message}");
            ExitCode::from(2)
        }
    }
}
