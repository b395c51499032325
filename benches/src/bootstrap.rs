//! The bootstraps under comparison, where their binaries live, and spawning
//! one as the platform would, with a guard that kills it on every error path.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// The commands that build every binary the harness runs.
pub const BUILD_COMMANDS: &str = "cargo build --release --example echo -p light-runtime-examples \
     && cargo build --release -p light-runtime-benches --bins";

/// The command that builds `examples/echo_full_stack` (`e2e --full-stack`).
///
/// A separate `cargo build`: the layers are features of the examples crate,
/// and features apply to every target of a package built in one command, so
/// building the two echoes together would compile the layers into
/// `examples/echo` too.
pub const FULL_STACK_BUILD_COMMAND: &str =
    "cargo build --release --example echo_full_stack -p light-runtime-examples --features full-stack";

/// The command that builds `light-runtime`, the command line of proxy and
/// web mode.
pub const CLI_BUILD_COMMAND: &str =
    "cargo build --release -p light-runtime-cli --bin light-runtime";

/// Which function, on which runtime, a bootstrap is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// light-runtime's `examples/echo.rs`.
    LightRuntime,
    /// `echo-lambda-runtime`, on AWS's `lambda_runtime` crate.
    LambdaRuntime,
    /// `echo-floor`, the least work the protocol allows.
    Floor,
    /// light-runtime's `examples/echo_full_stack.rs`: the same echo with the
    /// logging, metrics and tracing layers on (`e2e --full-stack`).
    LightFullStack,
    /// `axum-hello`: the axum hello app ([`crate::axum_hello`]) on
    /// light-runtime (`http-callgrind`).
    AxumLightRuntime,
    /// `axum-hello-lambda-http`: the same app on AWS's `lambda_http`.
    AxumLambdaHttp,
    /// `python3 -m awslambdaric handler.echo`: AWS's own Python runtime
    /// client with the echo of `benches/python/handler.py` (`proxy-overhead`).
    Awslambdaric,
    /// The same Python child behind `light-runtime proxy` (`proxy-overhead`).
    ProxyAwslambdaric,
    /// `echo-lambda-runtime` behind `light-runtime proxy` (`proxy-cold-start`).
    ProxyLambdaRuntime,
    /// `light-runtime web` in front of `axum-hello-server` (`web-vs-adapter`).
    WebAxum,
    /// AWS Lambda Web Adapter (`lambda-adapter`, `lambda_web_adapter` on
    /// crates.io) in front of `axum-hello-server` (`web-vs-adapter`).
    WebAdapterAxum,
}

impl Kind {
    /// The three columns of every report, in their order.
    pub const ALL: [Kind; 3] = [Kind::LightRuntime, Kind::LambdaRuntime, Kind::Floor];

    /// The columns `e2e --full-stack` adds after [`Kind::ALL`].
    pub const EXTRA: [Kind; 1] = [Kind::LightFullStack];

    /// The column name in the report and the key in its JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::LightRuntime => "light-runtime",
            Kind::LambdaRuntime => "lambda_runtime",
            Kind::Floor => "floor",
            Kind::LightFullStack => "light full stack",
            Kind::AxumLightRuntime => "light-runtime axum",
            Kind::AxumLambdaHttp => "lambda_http axum",
            Kind::Awslambdaric => "awslambdaric",
            Kind::ProxyAwslambdaric => "proxy awslambdaric",
            Kind::ProxyLambdaRuntime => "proxy lambda_runtime",
            Kind::WebAxum => "light-runtime web",
            Kind::WebAdapterAxum => "lambda web adapter",
        }
    }

    /// The binary's path relative to the release directory (`target/release`).
    ///
    /// For the kinds not built by this workspace (Python, the Web Adapter
    /// installed by `cargo install`), the name of the program the bench
    /// finds elsewhere.
    pub const fn relative_path(self) -> &'static str {
        match self {
            Kind::LightRuntime => "examples/echo",
            Kind::LambdaRuntime => "echo-lambda-runtime",
            Kind::Floor => "echo-floor",
            Kind::LightFullStack => "examples/echo_full_stack",
            Kind::AxumLightRuntime => "axum-hello",
            Kind::AxumLambdaHttp => "axum-hello-lambda-http",
            Kind::Awslambdaric => "python3",
            Kind::ProxyAwslambdaric | Kind::ProxyLambdaRuntime | Kind::WebAxum => "light-runtime",
            Kind::WebAdapterAxum => "lambda-adapter",
        }
    }

    /// The command that builds the binary of this kind, from the workspace
    /// root.
    pub const fn build_command(self) -> &'static str {
        match self {
            Kind::LightFullStack => FULL_STACK_BUILD_COMMAND,
            Kind::ProxyAwslambdaric | Kind::ProxyLambdaRuntime | Kind::WebAxum => {
                CLI_BUILD_COMMAND
            }
            Kind::Awslambdaric => "pip3 install awslambdaric",
            Kind::WebAdapterAxum => {
                "cargo install --locked --root target/lambda-web-adapter lambda_web_adapter@1.0.0-rc1"
            }
            _ => BUILD_COMMANDS,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One bootstrap binary found on disk, with the arguments, variables and
/// folder it is started with.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// Which echo function it is.
    pub kind: Kind,
    /// The executable.
    pub path: PathBuf,
    /// Its arguments: `proxy -- python3 -m awslambdaric handler.echo` for
    /// the proxied Python echo, none for a Rust bootstrap.
    pub args: Vec<String>,
    /// Variables beyond the platform's, e.g. the Web Adapter's
    /// `AWS_LWA_PORT`.
    pub env: Vec<(String, String)>,
    /// Where it starts: `awslambdaric` imports the handler module from its
    /// working folder. `None`: the harness's own.
    pub current_dir: Option<PathBuf>,
}

impl Bootstrap {
    /// The binary `path` of `kind`, started with no arguments.
    pub fn new(kind: Kind, path: PathBuf) -> Self {
        Bootstrap {
            kind,
            path,
            args: Vec::new(),
            env: Vec::new(),
            current_dir: None,
        }
    }

    /// The same, started with `args`.
    pub fn with_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The same, with `key=value` in its environment.
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The same, started in `dir`.
    pub fn in_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.current_dir = Some(dir.into());
        self
    }

    /// Finds all three binaries under `release_dir` (normally
    /// `target/release`), or says which are missing and how to build them.
    pub fn locate_all(release_dir: &Path) -> Result<Vec<Bootstrap>, String> {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for kind in Kind::ALL {
            let path = release_dir.join(kind.relative_path());
            if path.is_file() {
                found.push(Bootstrap::new(kind, path));
            } else {
                missing.push(path.display().to_string());
            }
        }
        if missing.is_empty() {
            Ok(found)
        } else {
            Err(format!(
                "bootstrap binaries not found: {}\nbuild them first, from the workspace root:\n  {BUILD_COMMANDS}",
                missing.join(", ")
            ))
        }
    }

    /// Finds the binary of `kind` under `release_dir`, or says how to build it.
    pub fn locate(release_dir: &Path, kind: Kind) -> Result<Bootstrap, String> {
        let path = release_dir.join(kind.relative_path());
        if path.is_file() {
            return Ok(Bootstrap::new(kind, path));
        }
        Err(format!(
            "bootstrap binary not found: {}\nbuild it first, from the workspace root:\n  {}",
            path.display(),
            kind.build_command()
        ))
    }

    /// The size of the executable on disk, in bytes.
    pub fn size(&self) -> std::io::Result<u64> {
        Ok(std::fs::metadata(&self.path)?.len())
    }

    /// Whether the executable still has its symbol table (`.symtab`), i.e.
    /// was not built with the release profile's `strip`: `cargo bench` puts
    /// its unstripped builds of this crate's binaries in `target/release`
    /// too. Its size is then not what would ship.
    pub fn has_symbols(&self) -> std::io::Result<bool> {
        let bytes = std::fs::read(&self.path)?;
        Ok(bytes.windows(8).any(|window| window == b".symtab\0"))
    }

    /// Starts the bootstrap as Lambda would, pointed at `runtime_api`
    /// (`host:port`), with a clean environment and its stdout and stderr
    /// appended to `log`. With `wrapper` (e.g. `valgrind --tool=callgrind ..`)
    /// the wrapper is the process started and the bootstrap its argument.
    pub fn spawn(
        &self,
        runtime_api: &str,
        log: &Path,
        wrapper: &[String],
    ) -> std::io::Result<Running> {
        self.spawn_with(runtime_api, log, wrapper, &[], None)
    }

    /// [`spawn`](Self::spawn) with `env` added to the environment and, with
    /// `stdout`, the bootstrap's stdout going there (truncated; `/dev/null`
    /// is fine) instead of to `log`; stderr still goes to `log`.
    pub fn spawn_with(
        &self,
        runtime_api: &str,
        log: &Path,
        wrapper: &[String],
        env: &[(String, String)],
        stdout: Option<&Path>,
    ) -> std::io::Result<Running> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let stdout = match stdout {
            Some(path) => Stdio::from(std::fs::File::create(path)?),
            None => Stdio::from(log_file.try_clone()?),
        };
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(&self.path);
                command
            }
            None => Command::new(&self.path),
        };
        command.args(&self.args);
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", "echo")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "us-east-1")
            .envs(self.env.iter().map(|(key, value)| (key, value)))
            .envs(env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(log_file)
            .kill_on_drop(true);
        let child = command.spawn()?;
        Ok(Running {
            kind: self.kind,
            child,
        })
    }
}

/// A bootstrap process that is running. Dropped without [`Running::terminate`]
/// (an error path), it is killed with SIGKILL.
#[derive(Debug)]
pub struct Running {
    kind: Kind,
    child: Child,
}

/// How a bootstrap ended after [`Running::terminate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it (the default action of SIGTERM, for one).
    Signal,
}

impl Running {
    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The process's peak resident set size so far (`VmHWM` in
    /// `/proc/<pid>/status`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
        line.trim_start_matches("VmHWM:")
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    }

    /// Resolves when the process has exited, with how it ended: raced
    /// against its first `next`, so that a bootstrap that dies in init
    /// fails the run at once rather than after the init timeout.
    pub async fn exited(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait().await
    }

    /// Sends SIGTERM, as Lambda does at shutdown, and waits up to `timeout`
    /// for the process to end; SIGKILL after that.
    ///
    /// The signal is sent with `kill(1)` so that this crate needs no
    /// `unsafe`.
    pub async fn terminate(self, timeout: Duration) -> Result<Exit, String> {
        if let Some(pid) = self.pid() {
            let sent = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await;
            if let Err(error) = sent {
                return Err(format!(
                    "{}: could not send SIGTERM with kill(1): {error}",
                    self.kind
                ));
            }
        }
        self.wait(timeout).await
    }

    /// Waits up to `timeout` for the process to end on its own (after the
    /// emulator closed its connection, say); SIGKILL after that.
    pub async fn wait(mut self, timeout: Duration) -> Result<Exit, String> {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => Ok(match status.code() {
                Some(code) => Exit::Code(code),
                None => Exit::Signal,
            }),
            Ok(Err(error)) => Err(format!(
                "{}: waiting for it to exit failed: {error}",
                self.kind
            )),
            Err(_) => {
                let _ = self.child.kill().await;
                Err(format!(
                    "{}: still running {} ms after it was asked to stop; killed",
                    self.kind,
                    timeout.as_millis()
                ))
            }
        }
    }
}
