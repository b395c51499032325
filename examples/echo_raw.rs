//! Answers each event with its own bytes, untouched: a function that does no
//! work of its own, so what it costs is the runtime's and the adapter's.
//! `push-wrk --raw` compares it with a bare hyper server answering the same bytes.
//!
//! Any `tower::Service<Invocation>` is a handler; this one skips JSON entirely.

use light_runtime::{BoxError, Invocation, Response};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), light_runtime::RuntimeError> {
    light_runtime::run(tower::service_fn(|invocation: Invocation| async move {
        Ok::<_, BoxError>(Response::json(invocation.payload))
    }))
    .await
}
