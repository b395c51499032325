//! Batch functions: each platform's answer, order per key, the bound, panics.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use light_runtime::events::messages::Message;
use light_runtime::{batch, Context, Error};
use serde_json::{json, Value};

use crate::platforms::{fixture, Running};

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

#[tokio::test]
async fn at_the_deadline_unfinished_records_fail_and_finished_ones_are_kept() {
    let stuck = |message: Message, _ctx: Context| async move {
        match message.text() {
            // Never finishes: only the invocation's cancellation ends it.
            Some("stuck") => std::future::pending::<Result<(), Error>>().await,
            Some("fail") => Err(Error::msg("rejected")),
            _ => Ok(()),
        }
    };
    let aws = Running::aws_with_timeout(batch::each(stuck), Duration::from_secs(1)).await;
    let event = sqs_batch(&[
        ("m1", "ok", None),
        ("m2", "stuck", None),
        ("m3", "fail", None),
        ("m4", "ok", None),
    ]);
    assert_eq!(
        aws.invoke(event).await.ok(),
        json!({"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}),
        "answered at the cancellation, not as a timeout: m1 and m4 are kept"
    );
    aws.stop().await;
}
