//! One function per view, the same on every cloud; mismatches.

use light_runtime::events::batch::{BatchFailure, BatchOutcome, BatchResponse};
use light_runtime::events::messages::Messages;
use light_runtime::events::object::{ObjectEvent, ObjectKind};
use light_runtime::events::timer::TimerEvent;
use light_runtime::{Context, Error};
use serde_json::{json, Value};

use crate::platforms::{fixture, Running};

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

/// `Messages` as an ordinary event type: the function keeps its own
/// outcome and answers through `BatchOutcome::answer`.
async fn on_messages(batch: Messages, _ctx: Context) -> Result<BatchResponse, BatchFailure> {
    let trigger = batch.origin().trigger();
    let mut outcome = BatchOutcome::new(batch.len());
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
