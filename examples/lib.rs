//! Examples of light-runtime, as standalone programs under `examples/`.
//!
//! # Layout
//! - `echo.rs`: a `serde_json::Value` echo on the default runtime, no layers;
//!   the benchmark harness and outside checks run it.
//! - `echo_raw.rs`: answers each event with its own bytes, through a plain
//!   `tower::Service`; the push benchmarks compare it with a bare server.
//! - `hello.rs`: a typed event and response, with a FunctionStart closure.
//! - `demo/`: the README's demo: a function with two hooks on the embedded
//!   Lambda emulator, through every lifecycle phase.
