//! A process started beside the bootstrap for a run and killed after it:
//! the web app the AWS Lambda Web Adapter sits in front of, which the
//! adapter does not start itself (light-runtime's web mode does, as its
//! child, so it needs none).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::{Child, Command};

/// How to start the process.
#[derive(Debug, Clone)]
pub struct Sidecar {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

impl Sidecar {
    /// `program` with `args`.
    pub fn new<I, S>(program: impl Into<PathBuf>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Sidecar {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// Starts it with only `PATH` in its environment, its output appended
    /// to `log`. It is killed when the returned child is dropped.
    pub(crate) fn spawn(&self, log: &Path) -> Result<Child, String> {
        let cannot = |error: std::io::Error| {
            format!(
                "cannot start the sidecar {}: {error}",
                self.program.display()
            )
        };
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(cannot)?;
        Command::new(&self.program)
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file.try_clone().map_err(cannot)?))
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .map_err(cannot)
    }
}
