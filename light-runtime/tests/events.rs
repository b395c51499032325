//! Typed events and batch functions end to end: real functions taking
//! `ObjectEvent`, `TimerEvent` and a batch, served on the AWS, FC and SCF
//! emulators with each platform's documented events (the fixtures of
//! `events/tests/fixtures/`), asserting what the platform received.

#![cfg(feature = "events")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use light_runtime::engine::CancellationToken;
use light_runtime::events::messages::Message;
use light_runtime::events::object::{ObjectEvent, ObjectKind};
use light_runtime::events::timer::TimerEvent;
use light_runtime::{batch, Context, Environment, Error, Handler, Runtime, RuntimeError};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use light_runtime_testkit::tencent_scf::{ScfEmulator, ScfEvent, ScfResult};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(20);

fn fixture(path: &str) -> Bytes {
    let full = format!(
        "{}/../events/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    Bytes::from(std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}")))
}

/// How an invocation ended, as the platform saw it.
#[derive(Debug, PartialEq)]
enum Answer {
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

    fn ok(self) -> Value {
        match self {
            Answer::Ok(value) => value,
            Answer::Err {
                error_type,
                message,
            } => panic!("expected a response, got {error_type}: {message}"),
        }
    }

    fn error(self, expected_type: &str) -> String {
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

struct Running {
    platform: Platform,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RuntimeError>>,
}

impl Running {
    async fn aws<H: Handler<M> + Send + 'static, M: 'static>(handler: H) -> Running {
        let emulator = LambdaEmulator::builder().start().await.unwrap();
        let env = vec![("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api())];
        let (shutdown, task) = spawn(env, handler);
        assert!(emulator.wait_next_waiting(1, WAIT).await, "polls `next`");
        Running {
            platform: Platform::Aws(emulator),
            shutdown,
            task,
        }
    }

    async fn fc<H: Handler<M> + Send + 'static, M: 'static>(handler: H) -> Running {
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

    async fn scf<H: Handler<M> + Send + 'static, M: 'static>(handler: H) -> Running {
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

    async fn invoke(&self, event: Bytes) -> Answer {
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

    async fn stop(self) {
        if let Platform::Fc(fc) = &self.platform {
            assert_eq!(fc.pre_stop().await.unwrap().status, 200);
        }
        stop(self.shutdown, self.task).await
    }
}

/// The function users write once: where the object is, and what happened.
async fn on_object(event: ObjectEvent, _ctx: Context) -> Result<Value, Error> {
    Ok(json!({
        "bucket": event.bucket,
        "key": event.key,
        "size": event.size,
        "created": event.kind == ObjectKind::Created,
        "region": event.region,
        "time": event.time.map(|t| t.to_rfc3339()),
    }))
}

async fn on_timer(event: TimerEvent, _ctx: Context) -> Result<Value, Error> {
    Ok(
        json!({ "name": event.name, "payload": event.payload, "time": event.time.map(|t| t.to_rfc3339()) }),
    )
}

#[tokio::test]
async fn one_object_function_on_three_clouds() {
    let aws = Running::aws(on_object).await;
    assert_eq!(
        aws.invoke(fixture("aws/s3_put.json")).await.ok(),
        json!({"bucket": "DOC-EXAMPLE-BUCKET", "key": "b21b84d653bb07b05b1e6b33684dc11b", "size": 1305107,
               "created": true, "region": "us-east-1", "time": "2019-09-03T19:37:27.192+00:00"})
    );
    let message = aws
        .invoke(fixture("aws/sqs.json"))
        .await
        .error("Runtime.MalformedEvent");
    assert_eq!(
        message,
        "the event is not a valid `ObjectEvent`: \
         expected an object-storage event (S3, OSS or COS), got an SQS event"
    );
    aws.stop().await;

    let fc = Running::fc(on_object).await;
    assert_eq!(
        fc.invoke(fixture("aliyun/oss.json")).await.ok(),
        json!({"bucket": "testbucket", "key": "source/a.png", "size": 122539, "created": true,
               "region": "cn-hangzhou", "time": "2022-08-13T06:45:43+00:00"})
    );
    let message = fc
        .invoke(fixture("aliyun/timer.json"))
        .await
        .error("Runtime.MalformedEvent");
    assert!(message.contains("got an FC timer event"), "{message}");
    fc.stop().await;

    let scf = Running::scf(on_object).await;
    assert_eq!(
        scf.invoke(fixture("tencent/cos.json")).await.ok(),
        json!({"bucket": "testpic", "key": "testfile", "size": 1029, "created": true,
               "region": "ap-chengdu", "time": "2018-12-19T07:49:30+00:00"})
    );
    scf.stop().await;
}

#[tokio::test]
async fn one_timer_function_on_three_clouds() {
    let aws = Running::aws(on_timer).await;
    assert_eq!(
        aws.invoke(fixture("aws/eventbridge_scheduled.json"))
            .await
            .ok(),
        json!({"name": "my-scheduled-rule", "payload": null, "time": "2015-10-08T16:53:06+00:00"})
    );
    aws.stop().await;

    let fc = Running::fc(on_timer).await;
    assert_eq!(
        fc.invoke(fixture("aliyun/timer.json")).await.ok(),
        json!({"name": "timer-trigger", "payload": "awesome-fc", "time": "2023-12-26T07:49:00+00:00"})
    );
    fc.stop().await;

    let scf = Running::scf(on_timer).await;
    assert_eq!(
        scf.invoke(fixture("tencent/timer.json")).await.ok(),
        json!({"name": "EveryDay", "payload": "user define msg body", "time": "2019-02-21T11:49:00+00:00"})
    );
    let message = scf
        .invoke(fixture("tencent/ckafka.json"))
        .await
        .error("Runtime.MalformedEvent");
    assert!(
        message.contains(
            "expected a timer event (EventBridge schedule, FC or SCF timer), got a CKafka event"
        ),
        "{message}"
    );
    scf.stop().await;
}

/// A record function that fails the records whose body contains `fail`
/// and panics on `panic`, and notes the order it saw records in.
fn record_function(
    seen: Arc<Mutex<Vec<String>>>,
) -> impl Fn(
    Message,
    Context,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send>>
       + Send
       + Sync
       + 'static {
    move |message: Message, _ctx: Context| {
        let seen = seen.clone();
        Box::pin(async move {
            let body = message.text().unwrap_or_default().to_owned();
            seen.lock().unwrap().push(message.id().to_owned());
            tokio::task::yield_now().await;
            if body.contains("panic") {
                panic!("record {} exploded", message.id());
            }
            if body.contains("fail") {
                return Err(Error::with_type(
                    "Order.Rejected",
                    format!("cannot take {body}"),
                ));
            }
            Ok(())
        })
    }
}

fn sqs_batch(records: &[(&str, &str, Option<&str>)]) -> Bytes {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, body, group)| {
            let mut attributes = json!({"ApproximateReceiveCount": "1"});
            if let Some(group) = group {
                attributes["MessageGroupId"] = json!(group);
            }
            json!({"messageId": id, "receiptHandle": "h", "body": body, "attributes": attributes,
                   "messageAttributes": {}, "md5OfBody": "m", "eventSource": "aws:sqs",
                   "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:orders", "awsRegion": "us-east-2"})
        })
        .collect();
    Bytes::from(json!({ "Records": records }).to_string())
}

#[tokio::test]
async fn sqs_batches_answer_batch_item_failures_and_survive_a_panic() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let aws = Running::aws(batch::each(record_function(seen.clone())).concurrency(4)).await;
    let event = sqs_batch(&[
        ("m1", "ok", None),
        ("m2", "fail me", None),
        ("m3", "ok", None),
        ("m4", "panic", None),
        ("m5", "ok", None),
    ]);
    assert_eq!(
        aws.invoke(event).await.ok(),
        json!({"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m4"}]})
    );
    assert_eq!(seen.lock().unwrap().len(), 5, "every record ran");
    // The instance goes on after a record's panic.
    assert_eq!(
        aws.invoke(fixture("aws/sqs.json")).await.ok(),
        json!({"batchItemFailures": []})
    );
    aws.stop().await;
}

#[tokio::test]
async fn fifo_groups_run_in_order_and_stop_at_their_first_failure() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let aws = Running::aws(batch::each(record_function(seen.clone())).concurrency(8)).await;
    let event = sqs_batch(&[
        ("a1", "ok", Some("a")),
        ("b1", "ok", Some("b")),
        ("a2", "fail", Some("a")),
        ("b2", "ok", Some("b")),
        ("a3", "ok", Some("a")),
        ("b3", "ok", Some("b")),
    ]);
    assert_eq!(
        aws.invoke(event).await.ok(),
        json!({"batchItemFailures": [{"itemIdentifier": "a2"}, {"itemIdentifier": "a3"}]}),
        "a3 is redelivered after a2, in order"
    );
    let seen = seen.lock().unwrap().clone();
    let of = |group: char| -> Vec<&str> {
        seen.iter()
            .filter(|id| id.starts_with(group))
            .map(String::as_str)
            .collect()
    };
    assert_eq!(of('a'), ["a1", "a2"], "a3 was not run");
    assert_eq!(of('b'), ["b1", "b2", "b3"]);
    aws.stop().await;
}

#[tokio::test]
async fn stream_batches_name_sequence_numbers() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let aws = Running::aws(batch::each(record_function(seen))).await;
    let answer = aws.invoke(fixture("aws/kinesis.json")).await.ok();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let mut kinesis: Value = serde_json::from_slice(&fixture("aws/kinesis.json")).unwrap();
    kinesis["Records"][0]["kinesis"]["data"] = json!("ZmFpbA=="); // "fail"
    let answer = aws.invoke(Bytes::from(kinesis.to_string())).await.ok();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "49590338271490256608559692538361571095921575989136588898"}]})
    );
    aws.stop().await;
}

#[tokio::test]
async fn fc_and_scf_fail_the_whole_batch_naming_each_failed_record() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let fc = Running::fc(batch::each(record_function(seen.clone()))).await;
    assert_eq!(
        fc.invoke(fixture("aliyun/kafka.json")).await.ok(),
        json!({"batchItemFailures": []})
    );
    let mut kafka: Value = serde_json::from_slice(&fixture("aliyun/kafka.json")).unwrap();
    kafka[0]["data"]["value"] = json!("fail");
    let message = fc
        .invoke(Bytes::from(kafka.to_string()))
        .await
        .error("Function.BatchFailure");
    assert_eq!(
        message,
        "2 of 2 records failed, and a Kafka event (FC) has no partial-failure answer, so the whole batch fails: \
         `mytopic/7/25`: Order.Rejected: cannot take fail; \
         `mytopic/7/26`: not run: record `mytopic/7/25` before it, with the same ordering key, failed"
    );
    fc.stop().await;

    let scf = Running::scf(batch::each(record_function(seen))).await;
    let mut cmq: Value = serde_json::from_slice(&fixture("tencent/cmq.json")).unwrap();
    cmq["Records"][0]["CMQ"]["msgBody"] = json!("panic");
    let message = scf
        .invoke(Bytes::from(cmq.to_string()))
        .await
        .error("Function.BatchFailure");
    assert!(
        message.starts_with("1 of 1 records failed, and a CMQ event has no partial-failure answer, so the whole batch fails: `123345346`: Function.Panic: record 123345346 exploded"),
        "{message}"
    );
    let message = scf
        .invoke(fixture("tencent/timer.json"))
        .await
        .error("Runtime.MalformedEvent");
    assert!(message.ends_with("got an SCF timer event"), "{message}");
    scf.stop().await;
}

/// A record function that notes how many records are in flight at once.
fn counting_function(
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    most: Arc<std::sync::atomic::AtomicUsize>,
) -> impl Fn(
    Message,
    Context,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send>>
       + Send
       + Sync
       + 'static {
    use std::sync::atomic::Ordering::SeqCst;
    move |_message: Message, _ctx: Context| {
        let (in_flight, most) = (in_flight.clone(), most.clone());
        Box::pin(async move {
            let now = in_flight.fetch_add(1, SeqCst) + 1;
            most.fetch_max(now, SeqCst);
            // Stay pending across a few polls so the others can start.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            in_flight.fetch_sub(1, SeqCst);
            Ok(())
        })
    }
}

#[tokio::test]
async fn records_run_concurrently_within_the_bound() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let records: Vec<(String, &str, Option<&str>)> =
        (0..10).map(|i| (format!("m{i}"), "ok", None)).collect();
    let records: Vec<(&str, &str, Option<&str>)> = records
        .iter()
        .map(|(id, body, group)| (id.as_str(), *body, *group))
        .collect();
    for (bound, expected) in [(3, 3), (1, 1), (16, 10)] {
        let (in_flight, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let function = counting_function(in_flight.clone(), most.clone());
        let aws = Running::aws(batch::each(function).concurrency(bound)).await;
        assert_eq!(
            aws.invoke(sqs_batch(&records)).await.ok(),
            json!({"batchItemFailures": []})
        );
        assert_eq!(most.load(SeqCst), expected, "at most {bound} at once");
        assert_eq!(in_flight.load(SeqCst), 0);
        aws.stop().await;
    }
}

/// `Messages` as an ordinary event type: the function keeps its own
/// outcome and answers through `BatchOutcome::answer`.
async fn on_messages(
    batch: light_runtime::events::messages::Messages,
    _ctx: Context,
) -> Result<light_runtime::events::batch::BatchResponse, light_runtime::events::batch::BatchFailure>
{
    let trigger = batch.origin().trigger();
    let mut outcome = light_runtime::events::batch::BatchOutcome::new(batch.len());
    for message in &batch {
        if message.text() != Some("Hello from Ckafka!") && message.text() != Some(r#"{"order":1}"#)
        {
            outcome.fail(
                message.id(),
                format!("unexpected body {:?}", message.text()),
            );
        }
    }
    outcome.answer(&trigger)
}

#[tokio::test]
async fn messages_is_an_ordinary_event_type_on_every_cloud() {
    let aws = Running::aws(on_messages).await;
    assert_eq!(
        aws.invoke(fixture("aws/sqs.json")).await.ok(),
        json!({"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]})
    );
    let message = aws
        .invoke(fixture("aws/s3_put.json"))
        .await
        .error("Runtime.MalformedEvent");
    assert!(message.ends_with("got an S3 event"), "{message}");
    aws.stop().await;

    let scf = Running::scf(on_messages).await;
    let message = scf
        .invoke(fixture("tencent/ckafka.json"))
        .await
        .error("BatchFailure");
    assert_eq!(
        message,
        "1 of 2 records failed, and a CKafka event has no partial-failure answer, so the whole batch fails: \
         `test-topic/1/37`: unexpected body Some(\"Hello from Ckafka again!\")"
    );
    scf.stop().await;
}

#[tokio::test]
async fn dynamodb_batches_name_sequence_numbers() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let aws = Running::aws(batch::each(record_function(seen.clone()))).await;
    let mut stream: Value = serde_json::from_slice(&fixture("aws/dynamodb.json")).unwrap();
    stream["Records"][0]["dynamodb"]["NewImage"]["Message"]["S"] = json!("please fail");
    assert_eq!(
        aws.invoke(Bytes::from(stream.to_string())).await.ok(),
        json!({"batchItemFailures": [{"itemIdentifier": "4421584500000000017450439091"}]})
    );
    assert_eq!(*seen.lock().unwrap(), ["4421584500000000017450439091"]);
    aws.stop().await;
}
