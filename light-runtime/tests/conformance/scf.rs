//! Tencent SCF event functions: the SCF runtime API emulator.

use bytes::Bytes;
use light_runtime::engine::CancellationToken;
use light_runtime::{Phase, RuntimeError};
use light_runtime_testkit::recording::SharedLog;
use light_runtime_testkit::tencent_scf::{ScfEmulator, ScfEvent, ScfResult};
use serde_json::json;
use tokio::task::JoinHandle;

use crate::harness::{self, finish, spawn_runtime, Answer, Start, Target, TIMEOUT, WAIT};

pub(crate) struct Scf {
    scf: ScfEmulator,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RuntimeError>>,
}

fn env(scf: &ScfEmulator) -> Vec<(String, String)> {
    let mut env = scf.env();
    env.extend([
        ("SCF_FUNCTIONNAME".to_owned(), "orders".to_owned()),
        ("SCF_FUNCTIONVERSION".to_owned(), "5".to_owned()),
        ("TENCENTCLOUD_REGION".to_owned(), "ap-guangzhou".to_owned()),
        ("TENCENTCLOUD_UIN".to_owned(), "100000000001".to_owned()),
    ]);
    env
}

fn answer(result: ScfResult) -> Answer {
    match &result {
        ScfResult::Response { .. } => Answer::Ok(result.body_json().expect("JSON response")),
        ScfResult::Error { .. } => {
            Answer::from_error_body(&result.body_json().expect("JSON error"))
        }
    }
}

impl Target for Scf {
    async fn start(start: Start) -> Self {
        let scf = ScfEmulator::with_limits(256, TIMEOUT).await.unwrap();
        let (shutdown, task) = spawn_runtime(env(&scf), &start);
        assert!(
            scf.wait_next_waiting(WAIT).await,
            "the runtime polls `next`"
        );
        assert!(scf.is_ready(), "init/ready came first");
        Scf {
            scf,
            shutdown,
            task,
        }
    }

    async fn invoke(&self, event: Bytes) -> Answer {
        let id = self.scf.push(ScfEvent::raw(event));
        answer(self.scf.result(&id, WAIT).await.expect("an answer"))
    }

    async fn invoke_many(&self, events: Vec<Bytes>) -> Vec<(Answer, usize)> {
        let ids: Vec<String> = events
            .into_iter()
            .map(|e| self.scf.push(ScfEvent::raw(e)))
            .collect();
        assert!(
            self.scf.wait_results(ids.len(), WAIT * 6).await,
            "every event answered"
        );
        let mut answers = Vec::with_capacity(ids.len());
        for id in ids {
            let result = self.scf.result(&id, WAIT).await.unwrap();
            answers.push((answer(result), self.scf.answers_for(&id)));
        }
        answers
    }

    async fn settle(&self, _log: &SharedLog) {
        assert!(self.scf.wait_next_waiting(WAIT).await);
    }

    async fn shutdown_during(self, event: Bytes, key: &str) -> (Answer, Result<(), RuntimeError>) {
        let id = self.scf.push(ScfEvent::raw(event));
        harness::wait_started(key).await;
        let result = finish(self.shutdown, self.task).await;
        assert_eq!(self.scf.answers_for(&id), 1);
        (answer(self.scf.result(&id, WAIT).await.unwrap()), result)
    }

    async fn stop(self) -> Result<(), RuntimeError> {
        finish(self.shutdown, self.task).await
    }

    fn one_invocation_phases() -> Vec<Phase> {
        use Phase::*;
        vec![
            RuntimeStart,
            FunctionStart,
            Freeze,
            BeforeInvoke,
            AfterInvoke,
            AfterResponse,
            Freeze,
            Close,
            End,
        ]
    }

    async fn failing_function_start() -> RuntimeError {
        let scf = ScfEmulator::start().await.unwrap();
        let start = Start {
            fail_function_start: true,
            ..Start::default()
        };
        let (_shutdown, task) = spawn_runtime(env(&scf), &start);
        let error = harness::joined(task).await.unwrap_err();
        // No init-error endpoint is documented: init/ready is never sent.
        assert!(!scf.is_ready());
        assert_eq!(scf.count("/invocation/next"), 0);
        error
    }
}

crate::conformance!(Scf);

#[tokio::test]
async fn every_context_field_comes_from_scf_headers_and_variables() {
    let target = Scf::start(Start::default()).await;
    let id = target
        .scf
        .push(ScfEvent::json(json!({"do": "context"})).request_id("scf-ctx-1"));
    let seen = answer(target.scf.result(&id, WAIT).await.unwrap());
    assert_eq!(
        seen,
        Answer::Ok(json!({
            "request_id": "scf-ctx-1",
            "function_name": "orders",
            "function_version": "5",
            "memory_mb": 256,
            "region": "ap-guangzhou",
            "account_id": "100000000001",
            "platform": "scf",
            "trigger": "other",
            "deadline_ms": 1000,
            "cold_start": true,
            "sequence": 1,
            "traceparent": null,
            "access_key_id": null,
            "credentials_debug_redacted": null,
            "http_method": null,
            "cancelled": false,
        }))
    );
    target.stop().await.unwrap();
}

#[tokio::test]
async fn platform_faults_are_survived() {
    let target = Scf::start(Start::default()).await;
    // No request_id: still answered (answers carry no id on SCF).
    target
        .scf
        .push(ScfEvent::json(json!(1)).without("request_id"));
    // A time limit that is not a number: an error, and the loop goes on.
    let bad = target
        .scf
        .push(ScfEvent::json(json!(2)).header("time_limit_in_ms", "soon"));
    let bad_answer = answer(target.scf.result(&bad, WAIT).await.unwrap());
    assert!(
        matches!(&bad_answer, Answer::Err { error_type, .. } if error_type == "Runtime.MalformedInvocation"),
        "{bad_answer:?}"
    );
    // Failing and slow platform answers are retried and waited for.
    target.scf.fail_next_calls(2, 500);
    target
        .scf
        .delay_replies(std::time::Duration::from_millis(30));
    let after = target.scf.push(ScfEvent::json(json!(3)));
    assert_eq!(
        answer(target.scf.result(&after, WAIT).await.unwrap()),
        Answer::Ok(json!(3))
    );
    assert!(target.scf.wait_results(3, WAIT).await);
    target.stop().await.unwrap();
}
