//! What crossing the plugin boundary costs per hook call: the same no-op
//! hook called natively (a `Box<dyn Hook>`), as a plugin written as a
//! `Hook` (`libnoop.so`, the `light-runtime-plugin-noop` crate, through the
//! C ABI) and as one written as a `ViewHook` (`libnoop_view.so`, the
//! crate's `noop_view` example), phase by phase.
//!
//! `cargo bench -p light-runtime-benches --bench plugin_hook`
//! (builds both plugins in the bench profile first, with the same cargo).
//! The bar: at most 100 ns more per hook call than the native hook.

// `criterion_group!` expands to an undocumented function.
#![allow(missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use runtime_engine::{
    plugin, Deadline, FunctionInfo, Hook, HookFuture, Invocation, Outcome, Platform, Response,
};

/// The native twin of the plugin: every phase is the trait's default.
struct NativeNoop;
impl Hook for NativeNoop {}

/// Builds `libnoop.so` and `libnoop_view.so` for this bench's profile and
/// returns their paths.
fn noop_plugins() -> [PathBuf; 2] {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_owned();
    let target_dir = profile_dir.parent().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(root)
        .args(["build", "-p", "light-runtime-plugin-noop", "--lib"])
        .args(["--example", "noop_view", "--target-dir"])
        .arg(target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        command.arg("--release");
    }
    let status = command.status().expect("cargo build of the noop plugin");
    assert!(
        status.success(),
        "cargo build -p light-runtime-plugin-noop failed"
    );
    [
        profile_dir.join("libnoop.so"),
        profile_dir.join("examples/libnoop_view.so"),
    ]
}

fn ready(future: HookFuture<'_>) {
    let mut future = std::pin::pin!(future);
    let mut cx = TaskContext::from_waker(Waker::noop());
    assert!(matches!(future.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
}

fn bench_hooks(c: &mut Criterion) {
    // Deadlines read tokio's clock: give them a runtime to read it from.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _entered = runtime.enter();
    let [noop, noop_view] = noop_plugins();
    let plugin_hook = plugin::load(&noop, "").expect("libnoop.so loads");
    let view_hook = plugin::load(&noop_view, "").expect("libnoop_view.so loads");
    let hooks: [(&str, Box<dyn Hook>); 3] = [
        ("native", Box::new(NativeNoop)),
        ("plugin", Box::new(plugin_hook)),
        ("plugin_view", Box::new(view_hook)),
    ];
    let function =
        Arc::new(FunctionInfo::new(Platform::AwsLambda, "echo").with_memory_mb(Some(128)));
    let context =
        runtime_engine::Context::builder(function.clone(), "8f5f6b2e-1c2d-4e5f-9a0b-1c2d3e4f5a6b")
            .sequence(2)
            .deadline(Deadline::after(Duration::from_secs(3)))
            .invoked_function_arn("arn:aws:lambda:us-east-1:123456789012:function:echo")
            .build();
    let outcome = Outcome::Response(Response::json(PAYLOAD));

    for (phase, run) in [
        ("before_invoke", 0),
        ("after_invoke", 1),
        ("after_response", 2),
        ("freeze", 3),
    ] {
        let mut group = c.benchmark_group(format!("plugin_hook/{phase}"));
        for (name, hook) in &hooks {
            group.bench_function(*name, |b| match run {
                0 => b.iter_batched_ref(
                    || Invocation::new(context.clone(), PAYLOAD),
                    |invocation| black_box(hook.on_before_invoke(invocation).unwrap()),
                    criterion::BatchSize::SmallInput,
                ),
                1 => b.iter_batched_ref(
                    || outcome.clone(),
                    |outcome| hook.on_after_invoke(&context, outcome).unwrap(),
                    criterion::BatchSize::SmallInput,
                ),
                2 => b.iter(|| ready(hook.on_after_response(&context, &outcome))),
                _ => b.iter(|| ready(hook.on_freeze())),
            });
        }
        group.finish();
    }
}

/// A small event, as echo benchmarks send.
const PAYLOAD: &[u8] = br#"{"name":"ada","items":[1,2,3],"flag":true}"#;

criterion_group!(benches, bench_hooks);
criterion_main!(benches);
