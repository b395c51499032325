//! One `cargo build` of the function, read through cargo's JSON messages
//! to find the executable it produced.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};

/// A successful build: the function's executable and its package's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The executable to run as the bootstrap.
    pub executable: PathBuf,
    /// The folder of the package it belongs to (its `Cargo.toml`'s).
    pub package_dir: PathBuf,
    /// How long the build took.
    pub took: Duration,
}

/// Runs `cargo build --message-format=json-render-diagnostics` with
/// `cargo_args` (and `--bin bin` when given); cargo's rendered diagnostics
/// go to stderr as they come. The error says why there is no executable.
pub async fn build(bin: Option<&str>, cargo_args: &[String]) -> Result<Built, String> {
    let started = Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = tokio::process::Command::new(&cargo);
    command
        .args(["build", "--message-format=json-render-diagnostics"])
        .args(cargo_args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Some(bin) = bin {
        command.args(["--bin", bin]);
    }
    let mut child = command
        .spawn()
        .map_err(|error| format!("cannot run `cargo build`: {error}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or("cargo's stdout was not captured")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut executables = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(executable) = message["executable"].as_str() else {
            continue;
        };
        let name = message["target"]["name"].as_str().unwrap_or_default();
        if bin.is_some_and(|bin| bin != name) {
            continue;
        }
        let manifest = PathBuf::from(message["manifest_path"].as_str().unwrap_or_default());
        executables.push((
            name.to_owned(),
            PathBuf::from(executable),
            manifest.parent().map(PathBuf::from).unwrap_or_default(),
        ));
    }
    let status = child
        .wait()
        .await
        .map_err(|error| format!("cannot wait for `cargo build`: {error}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo build` failed ({status}); the errors are above"
        ));
    }
    match executables.as_slice() {
        [(_, executable, package_dir)] => Ok(Built {
            executable: executable.clone(),
            package_dir: package_dir.clone(),
            took: started.elapsed(),
        }),
        [] => Err(
            "`cargo build` produced no executable: is this a binary package? \
                   (choose one with --bin NAME, or `-- --example NAME`)"
                .to_owned(),
        ),
        several => Err(format!(
            "`cargo build` produced several executables ({}): choose one with --bin NAME",
            several
                .iter()
                .map(|(name, ..)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}
