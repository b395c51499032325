//! The reference: the same echo function on AWS's official Rust runtime,
//! `lambda_runtime` from crates.io, with its default features.
//!
//! `serde_json::Value` in, the same value out, on a current-thread tokio
//! runtime like light-runtime's `examples/echo.rs`, so the two differ only in
//! the runtime library.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

async fn echo(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(event.payload)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(echo)).await
}
