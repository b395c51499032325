//! Echoes its event back. `cargo build --release --example echo`.
//!
//! Run locally: `cargo run --example echo`, then
//! `curl -d '{"hi":1}' localhost:9000`. As a Lambda `bootstrap`, it needs
//! nothing else.

use light_runtime::{Context, Error};
use serde_json::Value;

async fn echo(event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(event)
}

// One invocation at a time on AWS Lambda: a single-threaded scheduler is
// all the function needs and the cheapest one.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), light_runtime::RuntimeError> {
    light_runtime::run(echo).await
}
