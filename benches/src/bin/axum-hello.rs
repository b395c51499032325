//! The axum hello app on light-runtime: the `Router`, unchanged, handed to
//! `light_runtime::run`. `http-callgrind` measures it.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), light_runtime::RuntimeError> {
    light_runtime::run(light_runtime_benches::axum_hello::app()).await
}
