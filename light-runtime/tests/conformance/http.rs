//! Plain HTTP (Knative, Cloud Run, OpenFaaS) and, through [`Flavor`], the
//! other HTTP servers: SCF web functions and the local server.

use std::marker::PhantomData;

use bytes::Bytes;
use http::Method;
use light_runtime::engine::CancellationToken;
use light_runtime::{Phase, RuntimeError};
use light_runtime_testkit::caller::Reply;
use light_runtime_testkit::http_platform::{request, HttpPlatform};
use light_runtime_testkit::recording::SharedLog;
use serde_json::json;
use tokio::task::JoinHandle;

use crate::harness::{self, finish, spawn_runtime, Answer, Start, Target, WAIT};

/// Which HTTP server a target is.
pub(crate) trait Flavor {
    fn platform() -> HttpPlatform;
}

/// Knative / Cloud Run / OpenFaaS.
pub(crate) struct Knative;

impl Flavor for Knative {
    fn platform() -> HttpPlatform {
        HttpPlatform::knative().unwrap()
    }
}

pub(crate) struct Http<F> {
    pub platform: HttpPlatform,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RuntimeError>>,
    flavor: PhantomData<F>,
}

fn env(platform: &HttpPlatform) -> Vec<(String, String)> {
    let mut env = platform.env();
    env.push((
        "LIGHT_RUNTIME_TIMEOUT_MS".into(),
        harness::TIMEOUT.as_millis().to_string(),
    ));
    env
}

/// `200` is the response; anything else carries a JSON error body.
pub(crate) fn answer(reply: &Reply) -> Answer {
    match reply.status {
        200 => Answer::Ok(reply.body_json().expect("JSON response")),
        status => {
            assert!(status == 400 || status == 500, "error status {status}");
            Answer::from_error_body(&reply.body_json().expect("JSON error"))
        }
    }
}

impl<F: Flavor> Target for Http<F> {
    async fn start(start: Start) -> Self {
        let platform = F::platform();
        let (shutdown, task) = spawn_runtime(env(&platform), &start);
        assert!(platform.wait_ready(WAIT).await, "the server listens");
        Http {
            platform,
            shutdown,
            task,
            flavor: PhantomData,
        }
    }

    async fn invoke(&self, event: Bytes) -> Answer {
        answer(&self.platform.post(event).await.expect("a reply"))
    }

    async fn invoke_many(&self, events: Vec<Bytes>) -> Vec<(Answer, usize)> {
        let json = [("content-type", "application/json")];
        let requests = events
            .into_iter()
            .map(|e| request(Method::POST, "/", &json, e))
            .collect();
        let replies = self.platform.caller().send_all(requests, 8, WAIT).await;
        replies
            .into_iter()
            .map(|reply| (answer(&reply.expect("a reply")), 1))
            .collect()
    }

    async fn settle(&self, log: &SharedLog) {
        harness::wait_logged(log, Phase::AfterResponse, 2).await;
    }

    async fn shutdown_during(self, event: Bytes, key: &str) -> (Answer, Result<(), RuntimeError>) {
        let slow = self.platform.post(event);
        let sigterm = async {
            harness::wait_started(key).await;
            finish(self.shutdown, self.task).await
        };
        let (reply, result) = tokio::join!(slow, sigterm);
        (answer(&reply.unwrap()), result)
    }

    async fn stop(self) -> Result<(), RuntimeError> {
        finish(self.shutdown, self.task).await
    }

    fn one_invocation_phases() -> Vec<Phase> {
        use Phase::*;
        vec![
            RuntimeStart,
            FunctionStart,
            BeforeInvoke,
            AfterInvoke,
            AfterResponse,
            Close,
            End,
        ]
    }

    async fn failing_function_start() -> RuntimeError {
        let platform = F::platform();
        let start = Start {
            fail_function_start: true,
            ..Start::default()
        };
        let (_shutdown, task) = spawn_runtime(env(&platform), &start);
        let error = harness::joined(task).await.unwrap_err();
        assert!(platform.caller().exchanges().is_empty());
        error
    }
}

crate::conformance!(Http<Knative>, concurrent);

type Knat = Http<Knative>;

#[tokio::test]
async fn cloudevents_in_binary_and_structured_mode_reach_the_function_as_their_data() {
    let target = Knat::start(Start::default()).await;
    let traceparent = "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01";
    let reply = target
        .platform
        .cloudevent_binary(
            "ev-1",
            "order.created",
            &json!({"do": "context"}),
            &[("traceparent", traceparent)],
        )
        .await
        .unwrap();
    let seen = reply.body_json().unwrap();
    assert_eq!(seen["request_id"], "ev-1");
    assert_eq!(seen["trigger"], "pubsub");
    assert_eq!(seen["traceparent"], traceparent);
    assert_eq!(seen["function_name"], "orders");
    assert_eq!(seen["function_version"], "orders-00007");
    assert_eq!(seen["platform"], "http");
    assert_eq!(seen["deadline_ms"], 1000);
    assert_eq!(seen["http_method"], "POST");

    let structured =
        json!({"specversion": "1.0", "id": "ev-2", "source": "/s", "type": "t", "data": {"n": 2}});
    let reply = target
        .platform
        .cloudevent_structured(&structured)
        .await
        .unwrap();
    assert_eq!(reply.body_json().unwrap(), json!({"n": 2}));

    let missing = json!({"specversion": "1.0", "id": "ev-3", "type": "t"});
    let reply = target
        .platform
        .cloudevent_structured(&missing)
        .await
        .unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(answer(&reply), Answer::Err {
        error_type: "Runtime.MalformedEvent".into(),
        message: "the CloudEvent has no attribute source; id, source, type and specversion are required".into(),
    });
    target.stop().await.unwrap();
}

#[tokio::test]
async fn health_probes_and_request_ids() {
    let target = Knat::start(Start::default()).await;
    let health = target
        .platform
        .send(request(Method::GET, "/_/health", &[], Bytes::new()))
        .await
        .unwrap();
    assert_eq!(health.status, 200);
    let with_id = request(
        Method::POST,
        "/",
        &[("x-request-id", "req-77")],
        Bytes::from(json!({"do": "context"}).to_string()),
    );
    let seen = target
        .platform
        .send(with_id)
        .await
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(seen["request_id"], "req-77");
    assert_eq!(seen["trigger"], "http");
    target.stop().await.unwrap();
}

#[tokio::test]
async fn http_functions_get_the_request_and_set_status_and_headers() {
    use light_runtime::{Context, Environment, Error, Runtime};
    let platform = HttpPlatform::knative().unwrap();
    async fn hello(
        request: http::Request<Bytes>,
        _ctx: Context,
    ) -> Result<http::Response<Bytes>, Error> {
        let body = format!("{} {}", request.method(), request.uri());
        Ok(http::Response::builder()
            .status(201)
            .header("x-made-by", "hello")
            .body(Bytes::from(body))?)
    }
    let shutdown = CancellationToken::new();
    let runtime = Runtime::builder().with_environment(Environment::from_vars(platform.env()));
    let task = tokio::spawn(runtime.run_until(hello, shutdown.clone()));
    assert!(platform.wait_ready(WAIT).await);
    let reply = platform
        .send(request(
            Method::DELETE,
            "/orders/9?why=late",
            &[],
            Bytes::new(),
        ))
        .await
        .unwrap();
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("x-made-by"), Some("hello"));
    assert_eq!(&reply.body[..], b"DELETE /orders/9?why=late");
    finish(shutdown, task).await.unwrap();
}
