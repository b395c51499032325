//! The metrics layer's stdout output on AWS Lambda, CloudWatch Embedded
//! Metric Format, checked line by line against the EMF specification
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>):
//! each line a JSON object with `_aws.Timestamp` (milliseconds) and
//! `_aws.CloudWatchMetrics`, each directive a `Namespace`, `Dimensions`
//! (sets of at most 30 names, each a top-level string member) and
//! `Metrics` (at most 100, each a `Name`, a CloudWatch `Unit`, and a
//! top-level member holding a number or an array of at most 100 numbers).
//!
//! The function process is this test binary started again with
//! `EMF_FUNCTION` set (`harness = false`): a handler that answers or fails
//! as the event says, with the metrics layer on and no OTLP endpoint, so it
//! writes EMF; the test reads its stdout. The checker itself is tested on
//! lines that break each rule, so it cannot pass everything.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use light_runtime::{Context, Error, Runtime};
use light_runtime_layers::MetricsLayer;
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::{json, Value};

/// Set in the function process's environment.
const ROLE_VAR: &str = "EMF_FUNCTION";
/// Every wait is bounded by this.
const WAIT: Duration = Duration::from_secs(10);

/// CloudWatch's units (`MetricDatum.Unit`).
const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

async fn moody(event: Value, _ctx: Context) -> Result<Value, Error> {
    if event["fail"] == json!(true) {
        return Ok(Value::from("x".parse::<u32>()?));
    }
    Ok(event)
}

fn function_process() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let served = runtime.block_on(
        Runtime::builder()
            .lifecycle_layer(MetricsLayer::from_env())
            .run(moody),
    );
    if let Err(error) = served {
        eprintln!("emf function process: {error}");
        std::process::exit(1);
    }
}

/// Checks one stdout line against the EMF specification; returns the
/// metric values it carries by name.
fn check_emf(line: &str) -> Result<Vec<(String, f64)>, String> {
    let root: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let root = root.as_object().ok_or("not a JSON object")?;
    let aws = root
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or("no `_aws` object")?;
    let timestamp = aws
        .get("Timestamp")
        .and_then(Value::as_u64)
        .ok_or("`_aws.Timestamp` is not a whole number")?;
    // Milliseconds since the epoch: after 2020, before 2100.
    if !(1_577_836_800_000..4_102_444_800_000).contains(&timestamp) {
        return Err(format!(
            "`_aws.Timestamp` {timestamp} is not in milliseconds"
        ));
    }
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("`_aws.CloudWatchMetrics` is not an array")?;
    if directives.is_empty() {
        return Err("`_aws.CloudWatchMetrics` is empty".into());
    }
    let mut values = Vec::new();
    for directive in directives {
        let namespace = directive
            .get("Namespace")
            .and_then(Value::as_str)
            .ok_or("a directive without a string `Namespace`")?;
        if namespace.is_empty() || namespace.len() > 255 || namespace.starts_with("AWS/") {
            return Err(format!("`Namespace` {namespace:?} is not allowed"));
        }
        let dimension_sets = directive
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or("a directive without a `Dimensions` array")?;
        for set in dimension_sets {
            let names = set.as_array().ok_or("a dimension set is not an array")?;
            if names.len() > 30 {
                return Err(format!(
                    "a dimension set of {} names (at most 30)",
                    names.len()
                ));
            }
            for name in names {
                let name = name.as_str().ok_or("a dimension name is not a string")?;
                match root.get(name) {
                    Some(Value::String(value)) if !value.is_empty() && value.len() <= 1024 => {}
                    Some(other) => {
                        return Err(format!("dimension `{name}` is {other}, not a string"))
                    }
                    None => return Err(format!("dimension `{name}` is not a member")),
                }
            }
        }
        let metrics = directive
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or("a directive without a `Metrics` array")?;
        if metrics.len() > 100 {
            return Err(format!(
                "{} metrics in one directive (at most 100)",
                metrics.len()
            ));
        }
        let mut names = BTreeSet::new();
        for metric in metrics {
            let name = metric
                .get("Name")
                .and_then(Value::as_str)
                .ok_or("a metric without a string `Name`")?;
            if name.is_empty() || name.len() > 1024 || !names.insert(name) {
                return Err(format!(
                    "metric name {name:?} is empty, too long or repeated"
                ));
            }
            if let Some(unit) = metric.get("Unit") {
                let unit = unit.as_str().ok_or("a `Unit` that is not a string")?;
                if !UNITS.contains(&unit) {
                    return Err(format!("`{name}` has unit {unit:?}, not a CloudWatch unit"));
                }
            }
            if let Some(resolution) = metric.get("StorageResolution") {
                if *resolution != json!(1) && *resolution != json!(60) {
                    return Err(format!("`{name}` has StorageResolution {resolution}"));
                }
            }
            match root.get(name) {
                Some(Value::Number(number)) => {
                    values.push((name.to_owned(), number.as_f64().unwrap_or(f64::NAN)))
                }
                Some(Value::Array(items))
                    if !items.is_empty()
                        && items.len() <= 100
                        && items.iter().all(Value::is_number) =>
                {
                    let sum = items.iter().filter_map(Value::as_f64).sum();
                    values.push((name.to_owned(), sum));
                }
                Some(other) => {
                    return Err(format!(
                        "metric `{name}` is {other}, not a number or numbers"
                    ))
                }
                None => return Err(format!("metric `{name}` is not a member")),
            }
        }
    }
    Ok(values)
}

/// The checker refuses each broken rule.
fn the_checker_refuses_what_the_specification_forbids() {
    let good = json!({
        "_aws": {"Timestamp": 1_764_800_000_000_u64, "CloudWatchMetrics": [{
            "Namespace": "shop", "Dimensions": [["FunctionName"]],
            "Metrics": [{"Name": "faas.invocations", "Unit": "Count"}]}]},
        "FunctionName": "orders", "faas.invocations": 2
    });
    assert_eq!(
        check_emf(&good.to_string()).unwrap(),
        [("faas.invocations".to_owned(), 2.0)]
    );
    let broken = |path: &str, value: Value| {
        let mut line = good.clone();
        *line.pointer_mut(path).unwrap() = value;
        line.to_string()
    };
    let mut too_many = good.clone();
    let list: Vec<Value> = (0..101)
        .map(|i| json!({"Name": format!("m{i}"), "Unit": "Count"}))
        .collect();
    too_many["_aws"]["CloudWatchMetrics"][0]["Metrics"] = Value::from(list);
    for i in 0..101 {
        too_many[format!("m{i}")] = json!(1);
    }
    let cases = [
        (
            "seconds for a timestamp",
            broken("/_aws/Timestamp", json!(1_764_800_000_u64)),
        ),
        (
            "no namespace",
            broken("/_aws/CloudWatchMetrics/0/Namespace", json!(null)),
        ),
        (
            "an AWS namespace",
            broken("/_aws/CloudWatchMetrics/0/Namespace", json!("AWS/Lambda")),
        ),
        (
            "a dimension not a member",
            broken("/_aws/CloudWatchMetrics/0/Dimensions", json!([["Nope"]])),
        ),
        (
            "a number as dimension value",
            broken("/FunctionName", json!(3)),
        ),
        (
            "an empty dimension value",
            broken("/FunctionName", json!("")),
        ),
        (
            "a metric not a member",
            broken("/_aws/CloudWatchMetrics/0/Metrics/0/Name", json!("other")),
        ),
        (
            "a metric that is text",
            broken("/faas.invocations", json!("2")),
        ),
        (
            "a metric that is null (NaN)",
            broken("/faas.invocations", json!(null)),
        ),
        (
            "an unknown unit",
            broken("/_aws/CloudWatchMetrics/0/Metrics/0/Unit", json!("s")),
        ),
        ("101 metrics", too_many.to_string()),
    ];
    for (what, line) in cases {
        assert!(
            check_emf(&line).is_err(),
            "the checker accepted {what}: {line}"
        );
    }
}

/// Runs the function on the Lambda emulator and checks every EMF line.
async fn every_emf_line_meets_the_specification() -> String {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env_clear()
        .env(ROLE_VAR, "1")
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env("AWS_LAMBDA_FUNCTION_NAME", "orders")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "eu-west-1")
        .env("OTEL_SERVICE_NAME", "shop")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the function process starts");
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let plan = [false, true, false, false, true, false];
    for fail in plan {
        let id = emulator.push(Event::json(json!({"fail": fail})));
        let result = emulator.result(&id, WAIT).await.expect("an answer");
        assert_eq!(result.is_error(), fail);
    }
    let failures = plan.iter().filter(|fail| **fail).count() as f64;
    let sent = plan.len() as f64;
    // Each Freeze writes what the invocation before it recorded.
    let deadline = Instant::now() + WAIT;
    let (mut emf_lines, mut invocations, mut errors) = (0, 0.0, 0.0);
    let mut names = BTreeSet::new();
    while invocations < sent || errors < failures {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = received.recv_timeout(left).unwrap_or_else(|_| {
            panic!("EMF lines for {invocations} of {sent} invocations, {errors} errors")
        });
        if !line.contains("\"_aws\"") {
            continue;
        }
        emf_lines += 1;
        let values = check_emf(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let root: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(root["FunctionName"], "orders", "{line}");
        assert_eq!(root["_aws"]["CloudWatchMetrics"][0]["Namespace"], "shop");
        for (name, value) in values {
            match name.as_str() {
                "faas.invocations" => invocations += value,
                "faas.errors" => {
                    assert_eq!(root["error.type"], "ParseIntError", "{line}");
                    errors += value;
                }
                _ => {}
            }
            names.insert(name);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!((invocations, errors), (sent, failures));
    for expected in [
        "faas.invoke_duration.count",
        "faas.invoke_duration.sum",
        "faas.coldstarts",
        "faas.init_duration.sum",
    ] {
        assert!(names.contains(expected), "no {expected} in {names:?}");
    }
    format!("{emf_lines} EMF lines, {invocations} invocations, {errors} errors")
}

fn main() {
    if std::env::var_os(ROLE_VAR).is_some() {
        return function_process();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut failed = 0;
    let checker = std::panic::catch_unwind(the_checker_refuses_what_the_specification_forbids);
    match checker {
        Ok(()) => println!("test the_checker_refuses_what_the_specification_forbids ... ok"),
        Err(_) => {
            failed += 1;
            println!("test the_checker_refuses_what_the_specification_forbids ... FAILED");
        }
    }
    let run = std::panic::catch_unwind(|| {
        runtime.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(60),
                every_emf_line_meets_the_specification(),
            )
            .await
            .expect("the EMF case finished in 60 s")
        })
    });
    match run {
        Ok(figures) => println!("test every_emf_line_meets_the_specification ... ok ({figures})"),
        Err(_) => {
            failed += 1;
            println!("test every_emf_line_meets_the_specification ... FAILED");
        }
    }
    println!(
        "\ntest result: {}. {} passed; {failed} failed",
        if failed == 0 { "ok" } else { "FAILED" },
        2 - failed
    );
    if failed > 0 {
        std::process::exit(1);
    }
}
