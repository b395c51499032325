//! Instructions per invocation of the echo example with one no-op plugin
//! (`libnoop.so`) against echo without it, under callgrind.
//!
//! `cargo bench -p light-runtime-benches --bench plugin_echo`
//!
//! Each configuration runs twice on a fresh emulator, with `SHORT` and
//! `LONG` invocations; the difference of the two totals divided by the
//! difference of the counts is the cost of one invocation, free of start
//! and exit. The bar: with the plugin, at most 1.05x the instructions.
//! Builds the echo example and the plugin in the bench profile first;
//! prints a note and exits if valgrind is not installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use light_runtime_benches::callgrind;
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::json;

const SHORT: usize = 20;
const LONG: usize = 220;
const WAIT: Duration = Duration::from_secs(60);

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

/// Total instructions of one echo run of `invocations` invocations.
async fn run(echo: &Path, plugins: Option<&Path>, invocations: usize, out: &Path) -> u64 {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut command = tokio::process::Command::new("valgrind");
    command
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(echo)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env("AWS_LAMBDA_FUNCTION_NAME", "echo")
        .env("LIGHT_RUNTIME_LAYER_DIR", "/nonexistent")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(plugin) = plugins {
        command.env("LIGHT_RUNTIME_PLUGINS", plugin);
    }
    let mut child = command.spawn().expect("valgrind starts");
    assert!(
        emulator.wait_next_waiting(1, WAIT).await,
        "echo reached `next`"
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
    build(&profile_dir, &["-p", "light-runtime-plugin-noop"]);
    let echo = profile_dir.join("examples/echo");
    let noop: PathBuf = profile_dir.join("libnoop.so");
    let out_dir = profile_dir.join("plugin-echo-callgrind");
    std::fs::create_dir_all(&out_dir).unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let per_invocation = |plugins: Option<&Path>, name: &str| {
        let short = runtime.block_on(run(
            &echo,
            plugins,
            SHORT,
            &out_dir.join(format!("{name}-short.out")),
        ));
        let long = runtime.block_on(run(
            &echo,
            plugins,
            LONG,
            &out_dir.join(format!("{name}-long.out")),
        ));
        (long - short) as f64 / (LONG - SHORT) as f64
    };
    let without = per_invocation(None, "without");
    let with = per_invocation(Some(&noop), "with-noop");
    println!("plugin_echo ({valgrind}, {SHORT} vs {LONG} invocations)");
    println!("  echo                       {without:>10.0} instructions / invocation");
    println!("  echo + libnoop.so          {with:>10.0} instructions / invocation");
    println!(
        "  ratio                      {:>10.3}x (bar: <= 1.05x)",
        with / without
    );
    println!(
        "  plugin cost                {:>10.0} instructions / invocation",
        with - without
    );
}
