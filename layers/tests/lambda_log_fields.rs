//! Lambda's advanced logging controls end to end: `AWS_LAMBDA_LOG_FORMAT=JSON`
//! and `AWS_LAMBDA_LOG_LEVEL` against the Lambda emulator, lines with the
//! field names Lambda's JSON format uses (`timestamp`, `level`, `message`,
//! `requestId`, `tenantId`), checked against a line written by AWS's own
//! Python runtime client (awslambdaric) for the same record.
//!
//! One runtime per test binary: the logging layer's subscriber is global.

#[path = "support/lines.rs"]
mod lines;

use std::process::Command;
use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::layers::LoggingLayer;
use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use lines::Lines;
use serde::Deserialize;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

/// A line in Lambda's JSON log format, as CloudWatch Logs Insights reads
/// it: these names, these types. Unknown fields are allowed (Lambda keeps
/// them as they are).
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct LambdaJsonLine {
    timestamp: String,
    level: String,
    message: String,
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    #[serde(rename = "tenantId")]
    tenant_id: Option<String>,
}

async fn handler(_event: Value, _ctx: Context) -> Result<Value, Error> {
    tracing::info!("filtered out at WARN");
    tracing::warn!(items = 2, "low stock");
    tracing::error!("payment declined");
    Ok(json!({"ok": true}))
}

/// The line awslambdaric's JSON formatter writes for a WARNING with
/// request id `req-1` and tenant `tenant-a`; `None` without python3 or
/// awslambdaric.
fn awslambdaric_line() -> Option<Value> {
    let script = "import logging\n\
        from awslambdaric.lambda_runtime_log_utils import JsonFormatter\n\
        r = logging.LogRecord('root', logging.WARNING, 'f.py', 1, 'low stock', (), None)\n\
        r.aws_request_id = 'req-1'\n\
        r.tenant_id = 'tenant-a'\n\
        print(JsonFormatter().format(r))\n";
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "SKIPPED the awslambdaric comparison: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    serde_json::from_slice(&output.stdout).ok()
}

#[tokio::test]
async fn json_lines_use_lambdas_names_its_level_and_carry_tenant_and_initialization() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
        ("AWS_LAMBDA_LOG_LEVEL", "WARN".into()),
        // Lambda's variable wins over RUST_LOG.
        ("RUST_LOG", "trace".into()),
        (
            "AWS_LAMBDA_INITIALIZATION_TYPE",
            "provisioned-concurrency".into(),
        ),
    ]);
    let lines = Lines::default();
    let writer = lines.clone();
    let logging = LoggingLayer::from_environment(&env).with_writer(move || writer.clone());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .lifecycle_layer(logging)
            .run_until(handler, shutdown.clone()),
    );
    let cold = emulator.push(Event::json(json!({})).tenant_id("tenant-a"));
    emulator.result(&cold, WAIT).await.expect("an answer");
    let warm = emulator.push(Event::json(json!({})));
    emulator.result(&warm, WAIT).await.expect("an answer");
    light_runtime_testkit::stop_runtime(&shutdown, task).await;

    let text = lines.text();
    let ours: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .filter(|line: &Value| line["logger"] == "lambda_log_fields")
        .collect();
    assert_eq!(ours.len(), 4, "warn and error per invocation only:\n{text}");
    for line in &ours {
        let parsed: LambdaJsonLine = serde_json::from_value(line.clone())
            .unwrap_or_else(|e| panic!("not in Lambda's JSON format ({e}): {line}"));
        assert!(["WARN", "ERROR"].contains(&parsed.level.as_str()), "{line}");
        assert!(
            humantime::parse_rfc3339(&parsed.timestamp).is_ok(),
            "{line}"
        );
    }
    let of = |id: &str| -> Vec<&Value> { ours.iter().filter(|l| l["requestId"] == id).collect() };
    for line in of(&cold) {
        assert_eq!(line["tenantId"], "tenant-a", "{line}");
        assert_eq!(
            line["initializationType"], "provisioned-concurrency",
            "{line}"
        );
    }
    for line in of(&warm) {
        assert!(line.get("tenantId").is_none(), "{line}");
        assert!(line.get("initializationType").is_none(), "{line}");
    }
    assert_eq!(of(&cold).len() + of(&warm).len(), 4);

    // The same record as AWS's Python runtime client writes it: the fields
    // both write have the same names.
    if let Some(peer) = awslambdaric_line() {
        let peer: LambdaJsonLine = serde_json::from_value(peer.clone())
            .unwrap_or_else(|e| panic!("awslambdaric's line does not parse ({e}): {peer}"));
        assert_eq!(peer.request_id.as_deref(), Some("req-1"));
        assert_eq!(peer.tenant_id.as_deref(), Some("tenant-a"));
        let warn = ours.iter().find(|l| l["message"] == "low stock").unwrap();
        let ours: LambdaJsonLine = serde_json::from_value((*warn).clone()).unwrap();
        assert_eq!(ours.message, peer.message);
        assert!(humantime::parse_rfc3339(&peer.timestamp).is_ok());
    }
}
