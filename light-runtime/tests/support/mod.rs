//! Shared by the plugin tests: building the plugin `cdylib`s and the echo
//! example with the same cargo and target folder as the tests, compiling C
//! plugins with the system's C compiler, and temp folders with safe modes.
//!
//! `cargo test` builds a workspace `cdylib` only when something depends on
//! it, and nothing does (a plugin is loaded, not linked), so the tests run
//! `cargo build -p <plugin>` themselves, once per test binary, with a
//! timeout. It is a no-op when the workspace build already made them.

#![allow(dead_code, unreachable_pub)]

pub mod running;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

/// How long one `cargo build` or `cc` may take.
const BUILD_TIMEOUT: Duration = Duration::from_secs(600);

/// The Rust plugins of the workspace, by package.
pub const RUST_PLUGINS: [&str; 4] = [
    "light-runtime-plugin-probe",
    "light-runtime-plugin-audit",
    "light-runtime-plugin-policy",
    "light-runtime-plugin-noop",
];

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// `target/<profile>` of this test binary (`.../target/debug/deps/x` → `.../target/debug`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_owned()
}

/// Runs `command` to completion within [`BUILD_TIMEOUT`]; panics with its
/// output if it fails or hangs.
pub fn run_with_timeout(mut command: Command, what: &str) {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(BUILD_TIMEOUT) {
        Ok(Ok(output)) if output.status.success() => {}
        Ok(Ok(output)) => panic!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        Ok(Err(e)) => panic!("{what} could not be waited for: {e}"),
        Err(_) => {
            // The child we started, by its own pid.
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("{what} did not finish within {BUILD_TIMEOUT:?}");
        }
    }
}

/// `cargo build` of `args` into this test binary's target folder and profile.
fn cargo_build(args: &[&str]) {
    let profile = profile_dir();
    let target_dir = profile.parent().unwrap();
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(workspace_root())
        .arg("build")
        .arg("--target-dir")
        .arg(target_dir)
        .args(args);
    if profile.file_name().is_some_and(|n| n == "release") {
        command.arg("--release");
    }
    run_with_timeout(command, &format!("cargo build {}", args.join(" ")));
}

/// Plugins built as examples of the plugin packages (`examples/lib<name>.so`).
pub const RUST_EXAMPLE_PLUGINS: [&str; 1] = ["probe_view"];

/// The built plugin `lib<name>.so` (e.g. `probe`), building all Rust plugins once.
pub fn rust_plugin(name: &str) -> PathBuf {
    built_rust_plugin(profile_dir().join(format!("lib{name}.so")))
}

/// The built example plugin `examples/lib<name>.so` (e.g. `probe_view`),
/// building all Rust plugins once.
pub fn rust_example_plugin(name: &str) -> PathBuf {
    built_rust_plugin(profile_dir().join(format!("examples/lib{name}.so")))
}

fn built_rust_plugin(path: PathBuf) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut args = vec!["--lib"];
        for package in RUST_PLUGINS {
            args.extend(["-p", package]);
        }
        for example in RUST_EXAMPLE_PLUGINS {
            args.extend(["--example", example]);
        }
        cargo_build(&args);
    });
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// The echo example's binary, built once.
pub fn echo_example() -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| cargo_build(&["-p", "light-runtime-examples", "--example", "echo"]));
    profile_dir().join("examples").join("echo")
}

/// AWS's `lambda_runtime` 1.5 echo (the benches crate's
/// `echo-lambda-runtime`), built once: the third-party bootstrap the proxy
/// and emulate tests run.
pub fn lambda_runtime_echo() -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        cargo_build(&[
            "-p",
            "light-runtime-benches",
            "--bin",
            "echo-lambda-runtime",
        ])
    });
    profile_dir().join("echo-lambda-runtime")
}

/// The system C compiler, if there is one.
pub fn c_compiler() -> Option<&'static str> {
    ["cc", "gcc"].into_iter().find(|cc| {
        Command::new(cc)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Compiles the C source `source` into the shared library `out`, with the
/// SDK's header on the include path. `None` (and a note) without a C compiler.
pub fn compile_c(source: &Path, out: &Path, defines: &[&str]) -> Option<PathBuf> {
    let Some(cc) = c_compiler() else {
        eprintln!("SKIPPED: no C compiler (cc or gcc) on PATH; install gcc to run this test");
        return None;
    };
    let mut command = Command::new(cc);
    command
        .args([
            "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-std=c11",
        ])
        .arg("-I")
        .arg(workspace_root().join("plugin-sdk/include"))
        .args(defines)
        .arg("-o")
        .arg(out)
        .arg(source);
    run_with_timeout(command, &format!("{cc} {}", source.display()));
    Some(out.to_owned())
}

/// A temp folder that others cannot write to (plugins in it are accepted).
pub fn private_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o755);
    dir
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Copies `file` into `dir` with mode 0755, returning the copy.
pub fn copy_into(file: &Path, dir: &Path) -> PathBuf {
    let copy = dir.join(file.file_name().unwrap());
    std::fs::copy(file, &copy).unwrap();
    set_mode(&copy, 0o755);
    copy
}
