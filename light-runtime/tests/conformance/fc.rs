//! Alibaba FC: the FC emulator calling the custom-runtime server.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use light_runtime::engine::CancellationToken;
use light_runtime::{Phase, RuntimeError};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::caller::Reply;
use light_runtime_testkit::recording::SharedLog;
use serde_json::json;
use tokio::task::JoinHandle;

use crate::harness::{self, finish, spawn_runtime, Answer, Start, Target, WAIT};

pub(crate) struct Fc {
    fc: FcEmulator,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RuntimeError>>,
}

fn emulator() -> FcEmulator {
    FcEmulator::builder()
        .function_name("orders")
        .memory_mb(512)
        .timeout_secs(harness::TIMEOUT.as_secs())
        .region("cn-shanghai")
        .account_id("1888888888888888")
        .version("3")
        .credentials("STS.key-id", "s3cr3t", "t0k3n")
        .start()
        .unwrap()
}

/// An event answer: `x-fc-status` says which (reference 2.8).
fn answer(reply: &Reply) -> Answer {
    match reply.header("x-fc-status") {
        Some("200") => {
            assert_eq!(reply.status, 200);
            Answer::Ok(reply.body_json().expect("JSON response"))
        }
        Some("404") => {
            assert_eq!(reply.status, 404, "failures are 404 with x-fc-status 404");
            Answer::from_error_body(&reply.body_json().expect("JSON error"))
        }
        other => panic!("no x-fc-status (FC would count this as a success): {other:?} {reply:?}"),
    }
}

impl Target for Fc {
    async fn start(start: Start) -> Self {
        let fc = emulator();
        let (shutdown, task) = spawn_runtime(fc.env(), &start);
        assert!(fc.wait_ready(WAIT).await, "the server listens");
        // An initializer is configured: FunctionStart runs here.
        assert_eq!(fc.initialize().await.unwrap().status, 200);
        Fc { fc, shutdown, task }
    }

    async fn invoke(&self, event: Bytes) -> Answer {
        answer(&self.fc.invoke(event).await.expect("a reply"))
    }

    async fn invoke_many(&self, events: Vec<Bytes>) -> Vec<(Answer, usize)> {
        let requests = events
            .into_iter()
            .map(|e| self.fc.event(e).into_http())
            .collect();
        let replies = self.fc.caller().send_all(requests, 8, WAIT).await;
        replies
            .into_iter()
            .map(|reply| (answer(&reply.expect("a reply")), 1))
            .collect()
    }

    async fn settle(&self, _log: &SharedLog) {
        assert_eq!(self.fc.pre_freeze().await.unwrap().status, 200);
    }

    async fn shutdown_during(self, event: Bytes, key: &str) -> (Answer, Result<(), RuntimeError>) {
        let slow = self.fc.invoke(event);
        let pre_stop = async {
            harness::wait_started(key).await;
            self.fc.pre_stop().await.expect("pre-stop answered")
        };
        let (reply, stopped) = tokio::join!(slow, pre_stop);
        assert_eq!(stopped.status, 200);
        let result = harness::joined(self.task).await;
        (answer(&reply.unwrap()), result)
    }

    async fn stop(self) -> Result<(), RuntimeError> {
        assert_eq!(self.fc.pre_stop().await.unwrap().status, 200);
        let result = harness::joined(self.task).await;
        drop(self.shutdown);
        result
    }

    fn one_invocation_phases() -> Vec<Phase> {
        use Phase::*;
        vec![
            RuntimeStart,
            FunctionStart,
            BeforeInvoke,
            AfterInvoke,
            AfterResponse,
            Freeze,
            Close,
            End,
        ]
    }

    async fn failing_function_start() -> RuntimeError {
        let fc = emulator();
        let start = Start {
            fail_function_start: true,
            ..Start::default()
        };
        let (_shutdown, task) = spawn_runtime(fc.env(), &start);
        assert!(fc.wait_ready(WAIT).await);
        let reply = fc.initialize().await.unwrap();
        assert_eq!(reply.status, 500, "500 makes FC restart the instance");
        assert_eq!(reply.header("x-fc-status"), Some("404"));
        harness::joined(task).await.unwrap_err()
    }
}

crate::conformance!(Fc, concurrent);

#[tokio::test]
async fn every_context_field_comes_from_the_x_fc_headers() {
    let target = Fc::start(Start::default()).await;
    let request = target
        .fc
        .event(json!({"do": "context"}).to_string())
        .header(
            "traceparent",
            "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01",
        );
    let id = request.request_id().unwrap().to_owned();
    let seen = target.fc.send(request).await.unwrap().body_json().unwrap();
    assert_eq!(
        seen,
        json!({
            "request_id": id,
            "function_name": "orders",
            "function_version": "3",
            "memory_mb": 512,
            "region": "cn-shanghai",
            "account_id": "1888888888888888",
            "platform": "fc",
            "trigger": "other",
            "deadline_ms": 1000,
            "cold_start": true,
            "sequence": 1,
            "traceparent": "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01",
            "access_key_id": "STS.key-id",
            "credentials_debug_redacted": true,
            "http_method": null,
            "cancelled": false,
        })
    );
    target.stop().await.unwrap();
}

#[tokio::test]
async fn http_invocations_pass_the_request_and_response_through() {
    let target = Fc::start(Start::default()).await;
    let request = light_runtime_testkit::http_platform::request(
        Method::PUT,
        "/orders/42?x=1",
        &[("content-type", "application/json")],
        Bytes::from(json!({"do": "context"}).to_string()),
    );
    let reply = target.fc.http_invoke(request).await.unwrap();
    assert_eq!(reply.status, 200);
    let seen = reply.body_json().unwrap();
    assert_eq!(seen["trigger"], "http");
    assert_eq!(seen["http_method"], "PUT");
    assert!(
        reply.header("x-fc-status").is_none(),
        "no x-fc-* header in an HTTP response"
    );
    target.stop().await.unwrap();
}

#[tokio::test]
async fn malformed_platform_requests_are_refused_as_failures() {
    let target = Fc::start(Start::default()).await;
    let no_id = target
        .fc
        .send(target.fc.event("{}").without("x-fc-request-id"))
        .await
        .unwrap();
    assert_eq!(
        (no_id.status, no_id.header("x-fc-status")),
        (404, Some("404"))
    );
    assert!(String::from_utf8_lossy(&no_id.body).contains("x-fc-request-id"));
    let bad_timeout = target
        .fc
        .send(
            target
                .fc
                .event("{}")
                .header("x-fc-function-timeout", "soon"),
        )
        .await
        .unwrap();
    assert_eq!(bad_timeout.header("x-fc-status"), Some("404"));
    assert!(String::from_utf8_lossy(&bad_timeout.body).contains("x-fc-function-timeout"));
    // A platform that gives up mid-invocation does not break the instance.
    let abandoned = target
        .fc
        .event(json!({"do": "sleep", "ms": 200, "key": "fc-abandoned"}).to_string())
        .timeout(Duration::from_millis(20));
    assert!(target.fc.send(abandoned).await.is_err());
    assert_eq!(target.invoke(Bytes::from("5")).await, Answer::Ok(json!(5)));
    target.stop().await.unwrap();
}

#[tokio::test]
async fn without_an_initializer_function_start_runs_before_the_first_invocation() {
    let fc = emulator();
    let hook = light_runtime_testkit::recording::RecordingHook::new("h");
    let (shutdown, task) = spawn_runtime(
        fc.env(),
        &Start {
            hooks: vec![hook.clone()],
            ..Start::default()
        },
    );
    assert!(fc.wait_ready(WAIT).await);
    assert_eq!(answer(&fc.invoke("1").await.unwrap()), Answer::Ok(json!(1)));
    assert_eq!(
        &hook.phases()[..3],
        &[
            Phase::RuntimeStart,
            Phase::FunctionStart,
            Phase::BeforeInvoke
        ]
    );
    finish(shutdown, task).await.unwrap();
}
