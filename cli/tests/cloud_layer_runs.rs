//! Third-party functions run through the proxy and web layers as each
//! platform would start them: `light-runtime package` writes the layer
//! (with this very command inside and the audit plugin), the test unpacks
//! it into a folder laid out like the platform's filesystem
//! (`<tmp>/fs/opt`, `<tmp>/fs/var/task`) and starts the layer's script as
//! the platform does, against the platform's emulator; the audit plugin's
//! lines prove the layer's plugins ran around each invocation.
//!
//! The function is `awslambdaric` (PyPI, AWS's Python runtime client,
//! `pip3 install awslambdaric==4.2.2`) with `python/layer_handler.py`; the
//! web app is Python's own `http.server`.

#[path = "../../light-runtime/tests/support/mod.rs"]
mod support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::caller::free_port;
use light_runtime_testkit::http_platform::{request, HttpPlatform};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::tencent_scf::{ScfEmulator, ScfEvent};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

/// A layer unpacked where the platform would put it, with the audit plugin
/// writing to `audit_log`.
struct Layer {
    work: tempfile::TempDir,
    opt: PathBuf,
    task: PathBuf,
    audit_log: PathBuf,
}

fn layer(platform: &str, mode: &str) -> Layer {
    let work = support::private_dir();
    let audit_log = work.path().join("audit.log");
    let template = work.path().join("light-runtime.toml");
    std::fs::write(
        &template,
        format!(
            "[[plugins]]\npath = {:?}\nconfig = {{ path = {:?} }}\n",
            support::rust_plugin("audit"),
            audit_log,
        ),
    )
    .unwrap();
    let zip = work.path().join("layer.zip");
    // No --runtime: the layer carries the command that packaged it.
    let out = Command::new(env!("CARGO_BIN_EXE_light-runtime"))
        .args([
            "package",
            "--platform",
            platform,
            "--mode",
            mode,
            "--config",
        ])
        .arg(&template)
        .arg("--output")
        .arg(&zip)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "light-runtime package: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let opt = work.path().join("fs/opt");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    archive.extract(&opt).unwrap();
    let task = work.path().join("fs/var/task");
    std::fs::create_dir_all(&task).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/layer_handler.py"),
        task.join("layer_handler.py"),
    )
    .unwrap();
    Layer {
        work,
        opt,
        task,
        audit_log,
    }
}

/// The Python interpreter that has awslambdaric, as an absolute path, so
/// the function's command needs nothing from the test's environment.
fn python() -> PathBuf {
    let out = Command::new("python3")
        .args(["-c", "import sys, awslambdaric; print(sys.executable)"])
        .output()
        .expect("python3 is on PATH");
    assert!(
        out.status.success(),
        "awslambdaric is missing: pip3 install awslambdaric==4.2.2 ({})",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// A folder with `hello.txt` for `http.server` to serve, in the function's code.
fn site(layer: &Layer) -> PathBuf {
    let site = layer.task.join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("hello.txt"), HELLO).unwrap();
    site
}

const HELLO: &str = "hello from the layer\n";

/// The awslambdaric command line for the test handler.
fn awslambdaric() -> Vec<OsString> {
    vec![
        python().into(),
        "-m".into(),
        "awslambdaric".into(),
        "layer_handler.handle".into(),
    ]
}

/// A started script, stopped when dropped, so a failing test leaves nothing
/// running.
struct Started {
    child: Option<Child>,
}

impl Started {
    fn start(script: &Path, args: &[OsString], cwd: &Path, env: &[(String, String)]) -> Started {
        let mut command = Command::new(script);
        command
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        Started {
            child: Some(command.spawn().unwrap()),
        }
    }

    /// SIGTERM, as the platform stops an instance, and the exit status
    /// within [`WAIT`].
    async fn terminate(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).expect("SIGTERM sent");
        let waited = tokio::task::spawn_blocking(move || {
            let status = child.wait();
            (child, status)
        });
        match tokio::time::timeout(WAIT, waited).await {
            Ok(joined) => joined.unwrap().1.unwrap(),
            Err(_) => panic!("the layer's process did not exit within {WAIT:?} of SIGTERM"),
        }
    }
}

impl Drop for Started {
    /// After a failed assertion: SIGTERM first, so light-runtime stops the
    /// function's process group too, then SIGKILL if it is still there.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = Pid::from_raw(child.id() as i32);
            let _ = kill(pid, Signal::SIGTERM);
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = kill(pid, Signal::SIGKILL);
            let _ = child.wait();
        }
    }
}

/// The audit plugin's lines: one per invocation the layer served.
fn audit_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn lambda_env(emulator: &LambdaEmulator, task: &Path) -> Vec<(String, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), "orders".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "128".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
        ("AWS_REGION".into(), "eu-west-1".into()),
        ("LAMBDA_TASK_ROOT".into(), task.display().to_string()),
        ("_HANDLER".into(), "layer_handler.handle".into()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managed_python_runtime_runs_behind_the_aws_exec_wrapper_with_the_layer_plugins() {
    let layer = layer("aws", "proxy");
    let emulator = LambdaEmulator::start().await.unwrap();
    // Lambda runs `$AWS_LAMBDA_EXEC_WRAPPER <runtime bootstrap> <args>`; the
    // Python runtime's bootstrap runs awslambdaric with the handler.
    let started = Started::start(
        &layer.opt.join("light-runtime-wrapper"),
        &awslambdaric(),
        &layer.task,
        &lambda_env(&emulator, &layer.task),
    );

    let echo = emulator.push(Event::json(json!({"order": 7})));
    let answer = emulator
        .result(&echo, WAIT)
        .await
        .expect("the function answers");
    assert_eq!(
        answer.body_json().unwrap(),
        json!({"echo": {"order": 7}, "request_id": echo})
    );
    let failing = emulator.push(Event::json(json!({"fail": true})));
    let failed = emulator
        .result(&failing, WAIT)
        .await
        .expect("an error answers");
    assert_eq!(failed.error_type(), Some("ValueError"), "{failed:?}");
    assert_eq!(failed.error_message(), Some("asked to fail"));
    assert_eq!(emulator.answers_for(&echo), 1);
    assert_eq!(emulator.answers_for(&failing), 1);
    assert!(emulator.wait_next_waiting(1, WAIT).await);
    let status = started.terminate().await;
    assert!(status.success(), "orderly exit after SIGTERM: {status}");

    let audit = audit_lines(&layer.audit_log);
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0]["request_id"], echo.as_str());
    assert_eq!(audit[0]["outcome"], "ok");
    assert_eq!(audit[1]["request_id"], failing.as_str());
    drop(layer.work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_http_server_runs_behind_the_aws_web_bootstrap_with_the_layer_plugins() {
    let layer = layer("aws", "web");
    let site = site(&layer);
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut env = lambda_env(&emulator, &layer.task);
    // The app's command as a user sets it on the function; web mode gives
    // the app its port in PORT.
    env.push((
        "LIGHT_RUNTIME_WEB_COMMAND".into(),
        format!(
            "{} -m http.server \"$PORT\" --bind 127.0.0.1 --directory {}",
            python().display(),
            site.display()
        ),
    ));
    env.push((
        "LIGHT_RUNTIME_WEB_PORT".into(),
        free_port().unwrap().to_string(),
    ));
    // Lambda runs /opt/bootstrap for a provided.al2023 function without one.
    let started = Started::start(&layer.opt.join("bootstrap"), &[], &layer.task, &env);

    let get = emulator.push(Event::json(json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/hello.txt",
        "rawQueryString": "",
        "headers": {"host": "orders.example.com", "accept": "text/plain"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "orders.example.com",
            "domainPrefix": "orders",
            "http": {
                "method": "GET",
                "path": "/hello.txt",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "cloud-layer-test"
            },
            "requestId": "api-request-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "04/Dec/2026:10:00:00 +0000",
            "timeEpoch": 1796378400000u64
        },
        "isBase64Encoded": false
    })));
    let answer = emulator.result(&get, WAIT).await.expect("the app answers");
    let body = answer.body_json().expect("an API Gateway v2 response");
    assert_eq!(body["statusCode"], 200, "{body}");
    let text = body["body"].as_str().unwrap_or_default();
    if body["isBase64Encoded"] == true {
        assert_eq!(text, "aGVsbG8gZnJvbSB0aGUgbGF5ZXIK", "{body}");
    } else {
        assert_eq!(text, HELLO, "{body}");
    }
    assert!(emulator.wait_next_waiting(1, WAIT).await);
    let status = started.terminate().await;
    assert!(status.success(), "orderly exit after SIGTERM: {status}");

    let audit = audit_lines(&layer.audit_log);
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["request_id"], get.as_str());
    drop(layer.work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awslambdaric_runs_on_fc_through_the_layer_start_command() {
    let layer = layer("fc", "proxy");
    let fc = FcEmulator::builder()
        .function_name("orders")
        .start()
        .unwrap();
    let mut env = fc.env();
    env.push(("FC_FUNC_CODE_PATH".into(), layer.task.display().to_string()));
    // customRuntimeConfig: command ["/opt/bin/light-runtime-start"], args
    // the function's own command.
    let started = Started::start(
        &layer.opt.join("bin/light-runtime-start"),
        &awslambdaric(),
        &layer.task,
        &env,
    );
    assert!(
        fc.wait_ready(WAIT).await,
        "the runtime listens on FC's port"
    );
    let reply = fc.invoke(&br#"{"order":8}"#[..]).await.unwrap();
    assert_eq!(reply.header("x-fc-status"), Some("200"), "{reply:?}");
    let body = reply.body_json().expect("a JSON answer");
    assert_eq!(body["echo"], json!({"order": 8}), "{body}");
    let request_id = body["request_id"].as_str().unwrap().to_owned();
    let status = started.terminate().await;
    assert!(status.success(), "orderly exit after SIGTERM: {status}");

    let audit = audit_lines(&layer.audit_log);
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["request_id"], request_id.as_str());
    drop(layer.work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awslambdaric_runs_on_scf_through_the_layer_bootstrap() {
    let layer = layer("scf", "proxy");
    let scf = ScfEmulator::start().await.unwrap();
    let mut env = scf.env();
    env.push(("USER_CODE_ROOT".into(), layer.task.display().to_string()));
    env.push(("SCF_FUNCTIONNAME".into(), "orders".into()));
    // The function's own bootstrap is `exec /opt/bin/bootstrap <command>`.
    let bootstrap = layer.task.join("bootstrap");
    std::fs::write(
        &bootstrap,
        format!(
            "#!/bin/sh\nexec {} \"$@\"\n",
            layer.opt.join("bin/bootstrap").display()
        ),
    )
    .unwrap();
    support::set_mode(&bootstrap, 0o755);
    let started = Started::start(&bootstrap, &awslambdaric(), &layer.task, &env);

    let request_id = scf.push(ScfEvent::json(json!({"order": 9})));
    let answer = scf
        .result(&request_id, WAIT)
        .await
        .expect("the function answers");
    assert!(!answer.is_error(), "{answer:?}");
    let body = answer.body_json().expect("a JSON answer");
    assert_eq!(body["echo"], json!({"order": 9}), "{body}");
    assert_eq!(body["request_id"], request_id.as_str());
    let status = started.terminate().await;
    assert!(status.success(), "orderly exit after SIGTERM: {status}");

    let audit = audit_lines(&layer.audit_log);
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["request_id"], request_id.as_str());
    drop(layer.work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_http_server_serves_fc_http_invocations_through_the_layer_start_command() {
    let layer = layer("fc", "web");
    let site = site(&layer);
    let fc = FcEmulator::builder().function_name("site").start().unwrap();
    let app_port = free_port().unwrap().to_string();
    let mut env = fc.env();
    env.push(("FC_FUNC_CODE_PATH".into(), layer.task.display().to_string()));
    // A fixed port for the app, named in its own arguments as FC's
    // customRuntimeConfig.args would (no shell to expand $PORT there).
    env.push(("LIGHT_RUNTIME_WEB_PORT".into(), app_port.clone()));
    let args: Vec<OsString> = vec![
        python().into(),
        "-m".into(),
        "http.server".into(),
        app_port.into(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--directory".into(),
        site.into(),
    ];
    let started = Started::start(
        &layer.opt.join("bin/light-runtime-start"),
        &args,
        &layer.task,
        &env,
    );
    assert!(
        fc.wait_ready(WAIT).await,
        "the runtime listens on FC's port"
    );
    let reply = fc
        .http_invoke(request(Method::GET, "/hello.txt", &[], Bytes::new()))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body, HELLO.as_bytes());
    let status = started.terminate().await;
    assert!(status.success(), "orderly exit after SIGTERM: {status}");

    let audit = audit_lines(&layer.audit_log);
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["outcome"], "ok", "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_http_server_serves_an_scf_web_function_through_scf_bootstrap_and_run_sh() {
    let layer = layer("scf", "web");
    site(&layer);
    let platform = HttpPlatform::scf_web().unwrap();
    let mut env = platform.env();
    env.push(("USER_CODE_ROOT".into(), layer.task.display().to_string()));
    env.push((
        "LIGHT_RUNTIME_WEB_PORT".into(),
        free_port().unwrap().to_string(),
    ));
    // The app's command is run.sh in the code; the web function's own
    // scf_bootstrap only points at the layer.
    let run_sh = layer.task.join("run.sh");
    std::fs::write(
        &run_sh,
        format!(
            "#!/bin/sh\nexec {} -m http.server \"$PORT\" --bind 127.0.0.1 --directory site\n",
            python().display()
        ),
    )
    .unwrap();
    support::set_mode(&run_sh, 0o755);
    let scf_bootstrap = layer.task.join("scf_bootstrap");
    std::fs::write(
        &scf_bootstrap,
        format!(
            "#!/bin/sh\nexec {}\n",
            layer.opt.join("bin/scf_bootstrap").display()
        ),
    )
    .unwrap();
    support::set_mode(&scf_bootstrap, 0o755);
    let started = Started::start(&scf_bootstrap, &[], &layer.task, &env);
    assert!(
        platform.wait_ready(WAIT).await,
        "the runtime listens on SCF's port"
    );
    let reply = platform
        .send(request(Method::GET, "/hello.txt", &[], Bytes::new()))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body, HELLO.as_bytes());
    let status = started.terminate().await;
    assert!(status.success(), "orderly exit after SIGTERM: {status}");

    let audit = audit_lines(&layer.audit_log);
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["outcome"], "ok", "{audit:?}");
}
