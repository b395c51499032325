//! Instructions per invocation of the echo example with one no-op plugin
//! against echo without it, under callgrind.
//!
//! `cargo bench -p light-runtime-benches --bench plugin_echo`
//!
//! Configurations, each against the emulator:
//! - `echo`: the echo example (`examples/echo.rs`), no hook: the baseline;
//! - `echo + libnoop.so`: with the no-op plugin written as a `Hook`,
//!   exporting every phase, so each per-invocation phase crosses the
//!   boundary and the SDK hands the hook owned copies (the bar with one
//!   no-op plugin: at most 1.05x the baseline);
//! - `echo + libnoop_declared.so`: with the no-op declaring only
//!   `BeforeInvoke` and `AfterInvoke` (`export_plugin!(.., phases = [..])`);
//! - `echo + libnoop_view.so`: the no-op written as a `ViewHook` (the
//!   SDK's borrowed API), every phase exported: the crossing plus the Rust
//!   glue, without the copies a `Hook` gets;
//! - `echo + libc_noop.so`: the C no-op (`plugins/c-noop/noop.c`), every
//!   phase present and empty: the ABI crossing and the host's side alone,
//!   without the Rust SDK turning C views into engine values (skipped
//!   without a C compiler);
//! - `echo (bench binary)` and `+ native no-op Hook`: this bench's own
//!   binary serving the same echo (`PLUGIN_ECHO_SERVE`), without a hook and
//!   with a no-op `Hook` compiled in, for what a hook costs the engine
//!   before any plugin glue; compared with each other only, as the binary
//!   is not the example's.
//!
//! Each configuration runs twice on a fresh emulator, with `SHORT` and
//! `LONG` invocations; the difference of the two totals divided by the
//! difference of the counts is the cost of one invocation, free of start
//! and exit. `PLUGIN_ECHO_ONLY=noop,native` runs only the configurations
//! whose key (`echo`, `noop`, `declared`, `view`, `c-noop`, `bench-echo`, `native`)
//! is listed.
//! Builds the echo example and the plugins in the bench profile first;
//! prints a note and exits if valgrind is not installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use light_runtime::{Context, Error, Hook, Runtime};
use light_runtime_benches::callgrind;
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::{json, Value};

const SHORT: usize = 20;
const LONG: usize = 220;
const WAIT: Duration = Duration::from_secs(60);
/// Set in the environment of this binary when it serves the echo itself.
const SERVE: &str = "PLUGIN_ECHO_SERVE";

fn build(profile_dir: &Path, args: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(root)
        .arg("build")
        .arg("--target-dir")
        .arg(profile_dir.parent().unwrap())
        .args(args);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        command.arg("--release");
    }
    assert!(
        command.status().unwrap().success(),
        "cargo build {args:?} failed"
    );
}

/// Compiles the C no-op plugin into `dir`; `None` without a C compiler.
fn build_c_noop(dir: &Path) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = dir.join("libc_noop.so");
    let status = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-std=c11", "-I"])
        .arg(root.join("plugin-sdk/include"))
        .arg("-o")
        .arg(&out)
        .arg(root.join("plugins/c-noop/noop.c"))
        .status()
        .ok()?;
    assert!(status.success(), "cc plugins/c-noop/noop.c failed");
    Some(out)
}

/// The native twin of `libnoop.so`: every phase is the trait's default.
struct NativeNoop;
impl Hook for NativeNoop {}

async fn echo(event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(event)
}

/// This binary as a bootstrap: the echo example's function and runtime,
/// with a native no-op hook when `mode` is `native-noop`.
fn serve(mode: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut builder = Runtime::builder();
    if mode == "native-noop" {
        builder = builder.hook(NativeNoop);
    }
    runtime.block_on(builder.run(echo)).unwrap();
}

/// One configuration: how to start the bootstrap.
struct Config {
    key: &'static str,
    label: &'static str,
    exe: PathBuf,
    env: Vec<(&'static str, PathBuf)>,
}

/// Total instructions of one run of `config` serving `invocations` invocations.
async fn run(config: &Config, invocations: usize, out: &Path) -> u64 {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut command = tokio::process::Command::new("valgrind");
    command
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&config.exe)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env("AWS_LAMBDA_FUNCTION_NAME", "echo")
        .env("LIGHT_RUNTIME_LAYER_DIR", "/nonexistent")
        .envs(config.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("valgrind starts");
    assert!(
        emulator.wait_next_waiting(1, WAIT).await,
        "{} reached `next`",
        config.label
    );
    let event = json!({"name": "ada", "items": [1, 2, 3], "flag": true});
    for _ in 0..invocations {
        let id = emulator.push(Event::json(event.clone()));
        let result = emulator.result(&id, WAIT).await.expect("echo answers");
        assert_eq!(result.body_json().unwrap(), event);
    }
    assert!(emulator.wait_next_waiting(1, WAIT).await, "echo idle again");
    let pid = child.id().unwrap().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("echo exits")
        .unwrap();
    callgrind::total_instructions(out).unwrap()
}

fn main() {
    if let Ok(mode) = std::env::var(SERVE) {
        serve(&mode);
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let Some(valgrind) = callgrind::valgrind_version() else {
        println!("plugin_echo: valgrind is not installed; nothing measured");
        return;
    };
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_owned();
    build(
        &profile_dir,
        &["-p", "light-runtime-examples", "--example", "echo"],
    );
    build(
        &profile_dir,
        &[
            "-p",
            "light-runtime-plugin-noop",
            "--lib",
            "--example",
            "noop_declared",
            "--example",
            "noop_view",
        ],
    );
    let echo = profile_dir.join("examples/echo");
    let plugins = "LIGHT_RUNTIME_PLUGINS";
    let c_noop = build_c_noop(&profile_dir);
    if c_noop.is_none() {
        println!("plugin_echo: no C compiler (cc); the C no-op is not measured");
    }
    let mut configs = vec![
        Config {
            key: "echo",
            label: "echo",
            exe: echo.clone(),
            env: vec![],
        },
        Config {
            key: "noop",
            label: "echo + libnoop.so (every phase)",
            exe: echo.clone(),
            env: vec![(plugins, profile_dir.join("libnoop.so"))],
        },
        Config {
            key: "declared",
            label: "echo + libnoop_declared.so (Before/AfterInvoke)",
            exe: echo.clone(),
            env: vec![(plugins, profile_dir.join("examples/libnoop_declared.so"))],
        },
        Config {
            key: "view",
            label: "echo + libnoop_view.so (ViewHook, every phase)",
            exe: echo.clone(),
            env: vec![(plugins, profile_dir.join("examples/libnoop_view.so"))],
        },
        Config {
            key: "bench-echo",
            label: "echo (bench binary)",
            exe: exe.clone(),
            env: vec![(SERVE, "plain".into())],
        },
        Config {
            key: "native",
            label: "echo (bench binary) + native no-op Hook",
            exe,
            env: vec![(SERVE, "native-noop".into())],
        },
    ];
    if let Some(c_noop) = c_noop {
        configs.push(Config {
            key: "c-noop",
            label: "echo + libc_noop.so (C, every phase)",
            exe: echo,
            env: vec![(plugins, c_noop)],
        });
    }
    let only = std::env::var("PLUGIN_ECHO_ONLY").ok();
    let selected = |key: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|k| k == key))
    };
    let out_dir = profile_dir.join("plugin-echo-callgrind");
    std::fs::create_dir_all(&out_dir).unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let per_invocation = |config: &Config| {
        let [short, long] = [(SHORT, "short"), (LONG, "long")].map(|(count, run_name)| {
            let out = out_dir.join(format!("{}-{run_name}.out", config.key));
            runtime.block_on(run(config, count, &out))
        });
        (long - short) as f64 / (LONG - SHORT) as f64
    };
    let measured: Vec<(&Config, f64)> = configs
        .iter()
        .filter(|c| selected(c.key))
        .map(|c| (c, per_invocation(c)))
        .collect();
    let of = |key: &str| measured.iter().find(|(c, _)| c.key == key).map(|m| m.1);

    println!("plugin_echo ({valgrind}, {SHORT} vs {LONG} invocations; instructions / invocation)");
    for (config, value) in &measured {
        let base = match config.key {
            "noop" | "declared" | "view" | "c-noop" => of("echo"),
            "native" => of("bench-echo"),
            _ => None,
        };
        match base {
            Some(base) => println!(
                "  {:<50} {value:>8.0}  {:>6.3}x  {:>+7.0}",
                config.label,
                value / base,
                value - base
            ),
            None => println!("  {:<50} {value:>8.0}", config.label),
        }
    }
    println!(
        "  (ratio and extra instructions against the line's baseline; \
         bar with one no-op plugin: <= 1.05x)"
    );
    println!("  callgrind files: {}", out_dir.display());
}
