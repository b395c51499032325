//! The light-runtime demo: `cargo run --release --example demo`.
//!
//! Starts the embedded AWS Lambda Runtime API emulator, runs a real
//! function with two hooks against it, sends a few events (one malformed,
//! one that fails, one that panics), then SIGTERM, and prints each lifecycle
//! phase as it happens, each answer as the platform received it, and the
//! time spent in each phase.
//!
//! `-- --platform fc|scf|http` runs the same function, hooks and events on
//! the Alibaba FC, Tencent SCF or plain-HTTP emulator instead.

mod hooks;
mod platforms;

use std::time::Duration;

use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An order: lines of SKU, quantity and unit price.
#[derive(Deserialize)]
struct Order {
    lines: Vec<Line>,
}

#[derive(Deserialize)]
struct Line {
    sku: String,
    qty: u32,
    cents: u64,
}

#[derive(Serialize)]
struct Total {
    total_cents: u64,
    lines: usize,
}

/// The function: totals an order.
async fn total(order: Order, _ctx: Context) -> Result<Total, Error> {
    let mut total_cents = 0;
    for line in &order.lines {
        if line.sku == "bomb" {
            panic!("the `bomb` SKU blew up the handler");
        }
        if line.qty == 0 {
            return Err(Error::with_type(
                "Order.EmptyLine",
                format!("line `{}` has quantity 0", line.sku),
            ));
        }
        total_cents += u64::from(line.qty) * line.cents;
    }
    Ok(Total {
        total_cents,
        lines: order.lines.len(),
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Some(platform) = platforms::requested() {
        return platforms::run(&platform, total).await;
    }
    let emulator = LambdaEmulator::builder()
        .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:order-total")
        .timeout(Duration::from_secs(3))
        .start()
        .await?;
    println!("light-runtime demo");
    println!(
        "  function `order-total` on the embedded AWS Lambda emulator at {}",
        emulator.runtime_api()
    );
    println!("  hooks: narrator (prints each phase), audit (one line per invocation)");
    println!();

    let env = Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "order-total".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
        ("AWS_REGION", "eu-west-1".into()),
    ]);
    let runtime = tokio::spawn(
        Runtime::builder()
            .with_environment(env)
            .hook(hooks::Narrator)
            .hook(hooks::Audit::default())
            .run(total),
    );

    println!("  ── start ─────────────────────────────────────────────");
    wait_idle(&emulator).await?;

    let events = [
        (
            "an order",
            Event::json(
                json!({"lines": [{"sku": "tea", "qty": 2, "cents": 350}, {"sku": "cake", "qty": 1, "cents": 425}]}),
            ),
        ),
        (
            "another order",
            Event::json(json!({"lines": [{"sku": "coffee", "qty": 3, "cents": 300}]})),
        ),
        (
            "a malformed event",
            Event::raw(&br#"{"lines": [{"sku": "tea", "qty": "two", "cents": 350}]}"#[..]),
        ),
        (
            "an order the function rejects",
            Event::json(json!({"lines": [{"sku": "tea", "qty": 0, "cents": 350}]})),
        ),
        (
            "an order that panics the handler",
            Event::json(json!({"lines": [{"sku": "bomb", "qty": 1, "cents": 1}]})),
        ),
        (
            "a last order, to show the loop goes on",
            Event::json(json!({"lines": [{"sku": "water", "qty": 1, "cents": 100}]})),
        ),
    ];
    for (what, event) in events {
        println!();
        println!("  ── {what}: {}", String::from_utf8_lossy(event.body()));
        let id = emulator.push(event);
        let result = emulator
            .result(&id, Duration::from_secs(10))
            .await
            .ok_or("the function did not answer in 10 s")?;
        wait_idle(&emulator).await?;
        match result {
            InvocationResult::Response { body, .. } => {
                println!(
                    "    ◀ platform received response: {}",
                    String::from_utf8_lossy(&body)
                )
            }
            InvocationResult::Error { .. } => println!(
                "    ◀ platform received error {}: {}",
                result.error_type().unwrap_or("?"),
                result.error_message().unwrap_or("?")
            ),
        }
        assert_eq!(emulator.answers_for(&id), 1, "exactly one answer");
    }

    println!();
    println!("  ── SIGTERM ───────────────────────────────────────────");
    // SAFETY: kill(2) on our own pid with a valid signal number touches no memory.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(libc::getpid(), libc::SIGTERM);
    }
    let outcome = tokio::time::timeout(Duration::from_secs(5), runtime).await??;
    println!();
    match outcome {
        Ok(()) => println!("  runtime stopped cleanly after SIGTERM (exit code 0)"),
        Err(error) => println!("  runtime failed: {error}"),
    }
    Ok(())
}

/// Waits until the runtime is back at `next`, so every phase of the last
/// invocation has printed.
async fn wait_idle(emulator: &LambdaEmulator) -> Result<(), &'static str> {
    if emulator.wait_next_waiting(1, Duration::from_secs(10)).await {
        Ok(())
    } else {
        Err("the runtime did not come back for the next event in 10 s")
    }
}
