//! What the proxy tests share: the built `light-runtime` started as
//! `light-runtime proxy -- CMD` against a platform emulator, and that
//! platform's answers read the same way on every platform.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::http_platform::HttpPlatform;
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::tencent_scf::{ScfEmulator, ScfEvent, ScfResult};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

/// The bound on every wait in these tests.
pub(crate) const WAIT: Duration = Duration::from_secs(30);
/// The function timeout every platform is given, so timeouts are quick.
pub(crate) const FUNCTION_TIMEOUT: Duration = Duration::from_secs(3);

/// `cli/tests/python`, the handlers' folder.
pub(crate) fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// Whether `python3 -m awslambdaric` can run here; says loudly when not.
pub(crate) fn awslambdaric_available() -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", "import awslambdaric"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!(
            "\n!!! SKIPPED: awslambdaric is not installed (`pip3 install awslambdaric==4.2.2`); \
             .ci/run installs it so CI never skips this test !!!\n"
        );
    }
    found
}

/// `python3 -m awslambdaric handler.<name>`.
pub(crate) fn awslambdaric(handler: &str) -> Vec<String> {
    vec![
        "python3".into(),
        "-m".into(),
        "awslambdaric".into(),
        format!("handler.{handler}"),
    ]
}

/// A platform emulator and the environment the proxy gets for it.
pub(crate) enum Platform {
    Aws(LambdaEmulator),
    Fc(FcEmulator),
    Scf(ScfEmulator),
    Http(HttpPlatform),
}

/// What the platform received for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    Ok(Value),
    Error { error_type: String, message: String },
}

impl Answer {
    pub(crate) fn ok(&self) -> &Value {
        match self {
            Answer::Ok(value) => value,
            Answer::Error { .. } => panic!("expected a response, got {self:?}"),
        }
    }

    pub(crate) fn error(&self) -> (&str, &str) {
        match self {
            Answer::Error {
                error_type,
                message,
            } => (error_type, message),
            Answer::Ok(_) => panic!("expected an error, got {self:?}"),
        }
    }

    fn from_error_json(json: &Value) -> Answer {
        Answer::Error {
            error_type: json["errorType"].as_str().unwrap_or_default().to_owned(),
            message: json["errorMessage"].as_str().unwrap_or_default().to_owned(),
        }
    }
}

impl Platform {
    pub(crate) async fn aws() -> Platform {
        Platform::Aws(
            LambdaEmulator::builder()
                .timeout(FUNCTION_TIMEOUT)
                .start()
                .await
                .unwrap(),
        )
    }

    pub(crate) fn fc() -> Platform {
        Platform::Fc(
            FcEmulator::builder()
                .function_name("orders")
                .timeout_secs(FUNCTION_TIMEOUT.as_secs())
                .start()
                .unwrap(),
        )
    }

    pub(crate) async fn scf() -> Platform {
        Platform::Scf(
            ScfEmulator::with_limits(128, FUNCTION_TIMEOUT)
                .await
                .unwrap(),
        )
    }

    pub(crate) fn http() -> Platform {
        Platform::Http(HttpPlatform::knative().unwrap())
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Platform::Aws(_) => "aws",
            Platform::Fc(_) => "fc",
            Platform::Scf(_) => "scf",
            Platform::Http(_) => "http",
        }
    }

    /// The proxy's environment on this platform.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        match self {
            Platform::Aws(aws) => vec![("AWS_LAMBDA_RUNTIME_API".into(), aws.runtime_api())],
            Platform::Fc(fc) => fc.env(),
            Platform::Scf(scf) => scf.env(),
            Platform::Http(http) => {
                let mut env = http.env();
                env.push((
                    "LIGHT_RUNTIME_TIMEOUT_MS".into(),
                    FUNCTION_TIMEOUT.as_millis().to_string(),
                ));
                env
            }
        }
    }

    /// Waits until the proxy serves (FC: its server listens and
    /// `/initialize` succeeds, running FunctionStart).
    pub(crate) async fn ready(&self) {
        match self {
            Platform::Aws(aws) => assert!(aws.wait_next_waiting(1, WAIT).await, "next polled"),
            Platform::Fc(fc) => {
                assert!(fc.wait_ready(WAIT).await, "FC port open");
                let reply = fc.initialize().await.unwrap();
                assert_eq!(reply.status, 200, "initialize: {reply:?}");
            }
            Platform::Scf(scf) => assert!(scf.wait_next_waiting(WAIT).await, "next polled"),
            Platform::Http(http) => assert!(http.wait_ready(WAIT).await, "port open"),
        }
    }

    /// Invokes with `event` as the event's bytes and reads the answer.
    pub(crate) async fn invoke(&self, event: impl Into<Bytes>) -> Answer {
        let event = event.into();
        match self {
            Platform::Aws(aws) => {
                let id = aws.push(Event::raw(event));
                let result = aws.result(&id, WAIT).await.expect("an answer");
                assert_eq!(aws.answers_for(&id), 1, "exactly one answer for {id}");
                if result.is_error() {
                    Answer::Error {
                        error_type: result.error_type().unwrap_or_default().to_owned(),
                        message: result.error_message().unwrap_or_default().to_owned(),
                    }
                } else {
                    Answer::Ok(result.body_json().expect("JSON response"))
                }
            }
            Platform::Fc(fc) => {
                let reply = fc.invoke(event).await.expect("a reply");
                let json = reply.body_json().unwrap_or(Value::Null);
                match reply.header("x-fc-status") {
                    Some("200") => Answer::Ok(json),
                    _ => Answer::from_error_json(&json),
                }
            }
            Platform::Scf(scf) => {
                let id = scf.push(ScfEvent::raw(event));
                let result = scf.result(&id, WAIT).await.expect("an answer");
                assert_eq!(scf.answers_for(&id), 1, "exactly one answer for {id}");
                let json = result.body_json().unwrap_or(Value::Null);
                match result {
                    ScfResult::Response { .. } => Answer::Ok(json),
                    ScfResult::Error { .. } => Answer::from_error_json(&json),
                }
            }
            Platform::Http(http) => {
                let request = http::Request::post("/")
                    .header("content-type", "application/json")
                    .body(event)
                    .unwrap();
                let reply = http.send(request).await.expect("a reply");
                let json = reply.body_json().unwrap_or(Value::Null);
                if reply.status == 200 {
                    Answer::Ok(json)
                } else {
                    Answer::from_error_json(&json)
                }
            }
        }
    }

    /// Asks the platform to stop the proxy where it can (FC `/pre-stop`).
    pub(crate) async fn pre_stop(&self) {
        if let Platform::Fc(fc) = self {
            assert_eq!(fc.pre_stop().await.unwrap().status, 200);
        }
    }
}

/// `light-runtime proxy` running, its stderr kept in a file.
pub(crate) struct Proxy {
    child: tokio::process::Child,
    stdout: PathBuf,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// `light-runtime proxy ARGS -- COMMAND` with `env` added, PYTHONPATH
    /// set to the handlers' folder, in a fresh working directory.
    pub(crate) fn start(env: &[(String, String)], args: &[&str], command: &[String]) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let stdout = dir.path().join("stdout.log");
        let stderr = dir.path().join("stderr.log");
        let mut proxy = tokio::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"));
        proxy
            .arg("proxy")
            .args(args)
            .arg("--")
            .args(command)
            .current_dir(dir.path())
            .env("PYTHONPATH", python_dir())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .env_remove("LIGHT_RUNTIME_PLATFORM")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .kill_on_drop(true);
        let child = proxy.spawn().expect("light-runtime starts");
        Proxy {
            child,
            stdout,
            stderr,
            _dir: dir,
        }
    }

    /// The proxy's working directory (the child's `LAMBDA_TASK_ROOT`).
    pub(crate) fn dir(&self) -> PathBuf {
        self._dir.path().to_owned()
    }

    /// What the proxy and its child wrote on stdout so far.
    pub(crate) fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// What the proxy and its child wrote on stderr so far.
    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit.
    pub(crate) async fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().expect("running") as i32;
        kill(Pid::from_raw(pid), Signal::SIGTERM).unwrap();
        self.exited().await
    }

    /// Waits for the proxy to exit on its own.
    pub(crate) async fn exited(&mut self) -> (std::process::ExitStatus, String) {
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("the proxy exits")
            .unwrap();
        (status, self.stderr())
    }
}
