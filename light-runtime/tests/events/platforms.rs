//! The three platforms' emulators with one function behind each, and what
//! the platform received as an [`Answer`].

use std::time::Duration;

use bytes::Bytes;
use light_runtime::engine::CancellationToken;
use light_runtime::{Environment, Handler, Runtime, RuntimeError};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use light_runtime_testkit::tencent_scf::{ScfEmulator, ScfEvent, ScfResult};
use serde_json::Value;
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(20);

pub(crate) fn fixture(path: &str) -> Bytes {
    let full = format!(
        "{}/../events/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    Bytes::from(std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}")))
}

/// How an invocation ended, as the platform saw it.
#[derive(Debug, PartialEq)]
pub(crate) enum Answer {
    Ok(Value),
    Err { error_type: String, message: String },
}

impl Answer {
    fn from_error(body: &Value) -> Answer {
        Answer::Err {
            error_type: body["errorType"].as_str().unwrap_or("?").to_owned(),
            message: body["errorMessage"].as_str().unwrap_or("?").to_owned(),
        }
    }

    pub(crate) fn ok(self) -> Value {
        match self {
            Answer::Ok(value) => value,
            Answer::Err {
                error_type,
                message,
            } => panic!("expected a response, got {error_type}: {message}"),
        }
    }

    pub(crate) fn error(self, expected_type: &str) -> String {
        match self {
            Answer::Err {
                error_type,
                message,
            } => {
                assert_eq!(error_type, expected_type, "{message}");
                message
            }
            Answer::Ok(value) => panic!("expected {expected_type}, got {value}"),
        }
    }
}

fn spawn<H: Handler<M> + Send + 'static, M: 'static>(
    env: Vec<(String, String)>,
    handler: H,
) -> (CancellationToken, JoinHandle<Result<(), RuntimeError>>) {
    let shutdown = CancellationToken::new();
    let runtime = Runtime::builder().with_environment(Environment::from_vars(env));
    let task = tokio::spawn(runtime.run_until(handler, shutdown.clone()));
    (shutdown, task)
}

async fn stop(shutdown: CancellationToken, task: JoinHandle<Result<(), RuntimeError>>) {
    shutdown.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("the runtime stops in time")
        .expect("no panic")
        .expect("an orderly stop");
}

/// The three platforms, each with one function behind its emulator.
enum Platform {
    Aws(LambdaEmulator),
    Fc(FcEmulator),
    Scf(ScfEmulator),
}

pub(crate) struct Running {
    platform: Platform,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RuntimeError>>,
}

impl Running {
    pub(crate) async fn aws<H: Handler<M> + Send + 'static, M: 'static>(handler: H) -> Running {
        Running::aws_with_timeout(handler, Duration::from_secs(60)).await
    }

    /// AWS, with invocations that time out after `timeout`.
    pub(crate) async fn aws_with_timeout<H: Handler<M> + Send + 'static, M: 'static>(
        handler: H,
        timeout: Duration,
    ) -> Running {
        let emulator = LambdaEmulator::builder()
            .timeout(timeout)
            .start()
            .await
            .unwrap();
        let env = vec![("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api())];
        let (shutdown, task) = spawn(env, handler);
        assert!(emulator.wait_next_waiting(1, WAIT).await, "polls `next`");
        Running {
            platform: Platform::Aws(emulator),
            shutdown,
            task,
        }
    }

    pub(crate) async fn fc<H: Handler<M> + Send + 'static, M: 'static>(handler: H) -> Running {
        let fc = FcEmulator::builder()
            .function_name("photos")
            .region("cn-hangzhou")
            .start()
            .unwrap();
        let (shutdown, task) = spawn(fc.env(), handler);
        assert!(fc.wait_ready(WAIT).await, "the server listens");
        Running {
            platform: Platform::Fc(fc),
            shutdown,
            task,
        }
    }

    pub(crate) async fn scf<H: Handler<M> + Send + 'static, M: 'static>(handler: H) -> Running {
        let scf = ScfEmulator::with_limits(256, Duration::from_secs(3))
            .await
            .unwrap();
        let (shutdown, task) = spawn(scf.env(), handler);
        assert!(scf.wait_next_waiting(WAIT).await, "polls `next`");
        Running {
            platform: Platform::Scf(scf),
            shutdown,
            task,
        }
    }

    pub(crate) async fn invoke(&self, event: Bytes) -> Answer {
        match &self.platform {
            Platform::Aws(emulator) => {
                let id = emulator.push(Event::raw(event));
                let answer = match emulator.result(&id, WAIT).await.expect("an answer") {
                    InvocationResult::Response { body, .. } => {
                        Answer::Ok(serde_json::from_slice(&body).expect("JSON"))
                    }
                    InvocationResult::Error { body, .. } => Answer::from_error(&body),
                };
                assert_eq!(emulator.answers_for(&id), 1, "exactly one answer");
                answer
            }
            Platform::Fc(fc) => {
                let reply = fc.invoke(event).await.expect("a reply");
                let body = reply.body_json().expect("JSON");
                match reply.header("x-fc-status") {
                    Some("200") => Answer::Ok(body),
                    Some("404") => Answer::from_error(&body),
                    other => panic!("x-fc-status {other:?}"),
                }
            }
            Platform::Scf(scf) => {
                let id = scf.push(ScfEvent::raw(event));
                let result = scf.result(&id, WAIT).await.expect("an answer");
                assert_eq!(scf.answers_for(&id), 1, "exactly one answer");
                let body = result.body_json().expect("JSON");
                match result {
                    ScfResult::Response { .. } => Answer::Ok(body),
                    ScfResult::Error { .. } => Answer::from_error(&body),
                }
            }
        }
    }

    pub(crate) async fn stop(self) {
        if let Platform::Fc(fc) = &self.platform {
            assert_eq!(fc.pre_stop().await.unwrap().status, 200);
        }
        stop(self.shutdown, self.task).await
    }
}
