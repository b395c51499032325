//! AWS Lambda: the Runtime API emulator.

use bytes::Bytes;
use light_runtime::engine::CancellationToken;
use light_runtime::{Phase, RuntimeError};
use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use light_runtime_testkit::recording::SharedLog;
use tokio::task::JoinHandle;

use crate::harness::{self, finish, spawn_runtime, Answer, Start, Target, TIMEOUT, WAIT};

pub(crate) struct Aws {
    emulator: LambdaEmulator,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RuntimeError>>,
}

fn env(emulator: &LambdaEmulator, concurrency: Option<usize>) -> Vec<(String, String)> {
    let mut env = vec![("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api())];
    if let Some(n) = concurrency {
        env.push(("AWS_LAMBDA_MAX_CONCURRENCY".into(), n.to_string()));
    }
    env
}

fn answer(result: InvocationResult) -> Answer {
    match result {
        InvocationResult::Response { body, .. } => {
            Answer::Ok(serde_json::from_slice(&body).expect("JSON response"))
        }
        InvocationResult::Error { body, .. } => Answer::from_error_body(&body),
    }
}

impl Target for Aws {
    async fn start(start: Start) -> Self {
        let emulator = LambdaEmulator::builder()
            .timeout(TIMEOUT)
            .start()
            .await
            .unwrap();
        let (shutdown, task) = spawn_runtime(env(&emulator, start.concurrency), &start);
        assert!(
            emulator
                .wait_next_waiting(start.concurrency.unwrap_or(1), WAIT)
                .await,
            "the runtime polls `next`"
        );
        Aws {
            emulator,
            shutdown,
            task,
        }
    }

    async fn invoke(&self, event: Bytes) -> Answer {
        let id = self.emulator.push(Event::raw(event));
        answer(self.emulator.result(&id, WAIT).await.expect("an answer"))
    }

    async fn invoke_many(&self, events: Vec<Bytes>) -> Vec<(Answer, usize)> {
        let ids: Vec<String> = events
            .into_iter()
            .map(|e| self.emulator.push(Event::raw(e)))
            .collect();
        assert!(
            self.emulator.wait_results(ids.len(), WAIT * 6).await,
            "every event answered"
        );
        let mut answers = Vec::with_capacity(ids.len());
        for id in ids {
            let result = self.emulator.result(&id, WAIT).await.unwrap();
            answers.push((answer(result), self.emulator.answers_for(&id)));
        }
        answers
    }

    async fn settle(&self, _log: &SharedLog) {
        assert!(self.emulator.wait_next_waiting(1, WAIT).await);
    }

    async fn shutdown_during(self, event: Bytes, key: &str) -> (Answer, Result<(), RuntimeError>) {
        let id = self.emulator.push(Event::raw(event));
        harness::wait_started(key).await;
        let result = finish(self.shutdown, self.task).await;
        assert_eq!(self.emulator.answers_for(&id), 1);
        (
            answer(self.emulator.result(&id, WAIT).await.unwrap()),
            result,
        )
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
        let emulator = LambdaEmulator::start().await.unwrap();
        let start = Start {
            fail_function_start: true,
            ..Start::default()
        };
        let (_shutdown, task) = spawn_runtime(env(&emulator, None), &start);
        let error = harness::joined(task).await.unwrap_err();
        let init = emulator
            .wait_init_error(WAIT)
            .await
            .expect("init/error posted");
        assert_eq!(init.body_json().unwrap()["errorType"], "Runtime.InitError");
        assert_eq!(emulator.count("/invocation/next"), 0, "no event asked for");
        error
    }
}

crate::conformance!(Aws, concurrent);
