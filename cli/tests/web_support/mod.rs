//! Web mode under test: the `light-runtime web` binary started with a
//! platform's variables in front of an app, and stopped (SIGTERM, bounded
//! wait) when the test is done.

#![allow(dead_code)] // Each test file uses its own part.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Every wait in these tests.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

/// The platform variables a test's own environment might carry; web mode
/// sees only those a test gives it.
const PLATFORM_VARS: &[&str] = &[
    "AWS_LAMBDA_RUNTIME_API",
    "FC_FUNC_CODE_PATH",
    "FC_CUSTOM_LISTEN_PORT",
    "FC_SERVER_PORT",
    "FC_FUNCTION_NAME",
    "SCF_RUNTIME_API",
    "TENCENTCLOUD_RUNENV",
    "K_SERVICE",
    "FUNCTION_TARGET",
    "PORT",
    "LIGHT_RUNTIME_PLATFORM",
    "LIGHT_RUNTIME_LAYERS",
    "LIGHT_RUNTIME_PLUGINS",
];

/// The Python standard-library app's command line.
pub(crate) fn python_app() -> Vec<OsString> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/web_app.py");
    vec!["python3".into(), "-u".into(), script.into_os_string()]
}

/// A free port on 127.0.0.1 (free when asked; the tests bind it soon after).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `light-runtime web`.
#[derive(Debug)]
pub(crate) struct WebMode {
    child: Option<Child>,
    /// The app's port.
    pub(crate) app_port: u16,
}

/// How to start web mode: the platform's variables, web mode's options,
/// the app's own variables and its command.
#[derive(Debug, Default)]
pub(crate) struct Start {
    pub(crate) env: Vec<(String, String)>,
    pub(crate) options: Vec<String>,
    pub(crate) app: Vec<OsString>,
    /// Where web mode's stdout goes (the logging layer's lines), if not inherited.
    pub(crate) stdout: Option<PathBuf>,
}

impl Start {
    /// The Python app behind web mode with `env` as the platform's variables.
    pub(crate) fn python(env: Vec<(String, String)>) -> Self {
        Start {
            env,
            options: Vec::new(),
            app: python_app(),
            stdout: None,
        }
    }

    pub(crate) fn option(mut self, option: &str) -> Self {
        self.options.push(option.to_owned());
        self
    }

    pub(crate) fn var(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Writes web mode's stdout to `file`.
    pub(crate) fn stdout_to(mut self, file: PathBuf) -> Self {
        self.stdout = Some(file);
        self
    }

    pub(crate) fn spawn(self) -> WebMode {
        let app_port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_light-runtime"));
        for var in PLATFORM_VARS {
            command.env_remove(var);
        }
        command
            .arg("web")
            .arg("--port")
            .arg(app_port.to_string())
            .args(&self.options)
            .arg("--")
            .args(&self.app)
            .envs(self.env)
            .stdin(Stdio::null());
        if let Some(file) = &self.stdout {
            command.stdout(std::fs::File::create(file).unwrap());
        }
        let child = command.spawn().expect("light-runtime starts");
        WebMode {
            child: Some(child),
            app_port,
        }
    }
}

impl WebMode {
    /// Sends SIGTERM and waits for the exit, within [`WAIT`].
    pub(crate) async fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("not stopped yet");
        terminate(&child);
        let waited = tokio::task::spawn_blocking(move || child.wait());
        tokio::time::timeout(WAIT, waited)
            .await
            .expect("light-runtime exits after SIGTERM")
            .unwrap()
            .unwrap()
    }

    /// Waits for web mode to exit by itself, within [`WAIT`].
    pub(crate) async fn exited(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("not stopped yet");
        let waited = tokio::task::spawn_blocking(move || child.wait());
        tokio::time::timeout(WAIT, waited)
            .await
            .expect("light-runtime exits by itself")
            .unwrap()
            .unwrap()
    }
}

fn terminate(child: &Child) {
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
}

impl Drop for WebMode {
    /// A failed test still stops web mode, which stops its app.
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            terminate(child);
        }
    }
}
