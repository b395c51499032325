//! `--platform fc|scf|http`: the same function, hooks and events as the AWS
//! run, on another platform's emulator, to show one function on every cloud.

use std::time::Duration;

use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::http_platform::HttpPlatform;
use light_runtime_testkit::tencent_scf::{ScfEmulator, ScfEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::hooks;

type Failure = Box<dyn std::error::Error>;

const WAIT: Duration = Duration::from_secs(10);

/// The AWS run's events, as the bytes each platform delivers.
const EVENTS: [(&str, &str); 6] = [
    (
        "an order",
        r#"{"lines":[{"sku":"tea","qty":2,"cents":350},{"sku":"cake","qty":1,"cents":425}]}"#,
    ),
    (
        "another order",
        r#"{"lines":[{"sku":"coffee","qty":3,"cents":300}]}"#,
    ),
    (
        "a malformed event",
        r#"{"lines": [{"sku": "tea", "qty": "two", "cents": 350}]}"#,
    ),
    (
        "an order the function rejects",
        r#"{"lines":[{"sku":"tea","qty":0,"cents":350}]}"#,
    ),
    (
        "an order that panics the handler",
        r#"{"lines":[{"sku":"bomb","qty":1,"cents":1}]}"#,
    ),
    (
        "a last order, to show the loop goes on",
        r#"{"lines":[{"sku":"water","qty":1,"cents":100}]}"#,
    ),
];

/// The `--platform` argument, if one other than `aws` was given.
pub(crate) fn requested() -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == "--platform")?;
    args.get(at + 1).filter(|p| p.as_str() != "aws").cloned()
}

/// Runs `function` on `platform`'s emulator and sends every event.
pub(crate) async fn run<F, Fut, E, R>(platform: &str, function: F) -> Result<(), Failure>
where
    F: Fn(E, Context) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<R, Error>> + Send + 'static,
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
{
    println!("light-runtime demo");
    let shutdown = CancellationToken::new();
    let start = |env: Vec<(String, String)>| {
        let runtime = Runtime::builder()
            .with_environment(Environment::from_vars(env))
            .hook(hooks::Narrator)
            .hook(hooks::Audit::default())
            .run_until(function, shutdown.clone());
        tokio::spawn(runtime)
    };
    let runtime = match platform {
        "fc" => {
            let fc = FcEmulator::builder()
                .function_name("order-total")
                .timeout_secs(3)
                .start()?;
            println!(
                "  function `order-total` on the embedded Alibaba FC emulator, port {}",
                fc.port()
            );
            println!("\n  ── start ─────────────────────────────────────────────");
            let runtime = start(fc.env());
            if !fc.wait_ready(WAIT).await {
                return Err("the FC server did not listen in 10 s".into());
            }
            println!("    ▶ POST /initialize");
            fc.initialize().await?;
            for (what, body) in EVENTS {
                println!("\n  ── {what}: {body}\n    ▶ POST /invoke");
                let reply = fc.invoke(body).await?;
                println!(
                    "    ◀ FC received {} x-fc-status {}: {}",
                    reply.status,
                    reply.header("x-fc-status").unwrap_or("(none)"),
                    String::from_utf8_lossy(&reply.body)
                );
                println!("    ▶ GET /pre-freeze");
                fc.pre_freeze().await?;
            }
            println!("\n  ── GET /pre-stop ─────────────────────────────────────");
            fc.pre_stop().await?;
            runtime
        }
        "scf" => {
            let scf = ScfEmulator::start().await?;
            println!("  function `order-total` on the embedded Tencent SCF runtime API emulator");
            println!("\n  ── start ─────────────────────────────────────────────");
            let mut env = scf.env();
            env.push(("SCF_FUNCTIONNAME".into(), "order-total".into()));
            let runtime = start(env);
            for (what, body) in EVENTS {
                if !scf.wait_next_waiting(WAIT).await {
                    return Err("the runtime did not ask for the next event in 10 s".into());
                }
                println!("\n  ── {what}: {body}");
                let id = scf.push(ScfEvent::raw(body));
                let result = scf.result(&id, WAIT).await.ok_or("no answer in 10 s")?;
                let (kind, body) = match &result {
                    light_runtime_testkit::tencent_scf::ScfResult::Response { body } => {
                        ("response", body)
                    }
                    light_runtime_testkit::tencent_scf::ScfResult::Error { body } => {
                        ("error", body)
                    }
                };
                println!(
                    "    ◀ SCF received {kind}: {}",
                    String::from_utf8_lossy(body)
                );
            }
            scf.wait_next_waiting(WAIT).await;
            println!("\n  ── SIGTERM ───────────────────────────────────────────");
            shutdown.cancel();
            runtime
        }
        "http" => {
            let platform = HttpPlatform::knative()?;
            println!(
                "  function `order-total` behind an embedded Knative-style front on {}",
                platform.caller().addr()
            );
            println!("\n  ── start ─────────────────────────────────────────────");
            let runtime = start(platform.env());
            if !platform.wait_ready(WAIT).await {
                return Err("the HTTP server did not listen in 10 s".into());
            }
            for (what, body) in EVENTS {
                println!("\n  ── {what}: {body}\n    ▶ POST /");
                let reply = platform.post(body).await?;
                println!(
                    "    ◀ platform received {}: {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
            println!("\n  ── SIGTERM ───────────────────────────────────────────");
            shutdown.cancel();
            runtime
        }
        other => return Err(format!("--platform {other:?}: use aws, fc, scf or http").into()),
    };
    match tokio::time::timeout(WAIT, runtime).await?? {
        Ok(()) => println!("\n  runtime stopped cleanly (exit code 0)"),
        Err(error) => println!("\n  runtime failed: {error}"),
    }
    Ok(())
}
