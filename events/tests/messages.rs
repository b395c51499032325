//! `Messages` from each platform's documented batch, and its refusals.

mod support;

use light_runtime_events::messages::{Messages, MessagesOrigin};
use light_runtime_events::Trigger;
use support::{both_ways, fixture, ALL};

fn ids(batch: &Messages) -> Vec<&str> {
    batch.iter().map(|m| m.id()).collect()
}

fn texts(batch: &Messages) -> Vec<&str> {
    batch.iter().map(|m| m.text().unwrap()).collect()
}

fn keys(batch: &Messages) -> Vec<Option<&str>> {
    batch.iter().map(|m| m.ordering_key()).collect()
}

/// Source: AWS Lambda Developer Guide, "Using Lambda with Amazon SQS", the example standard-queue event.
#[test]
fn sqs_standard() {
    let batch = both_ways("aws/sqs.json", Messages::from_slice);
    assert_eq!(
        ids(&batch),
        [
            "059f36b4-87a3-44ab-83d2-661975830a7d",
            "2e1424d4-f796-459a-8184-9c92662be6da"
        ]
    );
    assert_eq!(texts(&batch), [r#"{"order":1}"#, r#"{"order":2}"#]);
    assert_eq!(
        keys(&batch),
        [None, None],
        "a standard queue promises no order"
    );
    let order: serde_json::Value = batch.iter().next().unwrap().json().unwrap();
    assert_eq!(order["order"], 1);
    assert_eq!(batch.origin().trigger(), Trigger::Sqs);
}

/// Source: AWS Lambda Developer Guide, "Using Lambda with Amazon SQS", the example FIFO-queue event.
#[test]
fn sqs_fifo_groups_are_ordering_keys() {
    let batch = both_ways("aws/sqs_fifo.json", Messages::from_slice);
    assert_eq!(keys(&batch), [Some("1")]);
    assert_eq!(texts(&batch), ["Test message."]);
}

/// Source: AWS Lambda Developer Guide, "Using Lambda with Kinesis", the example event.
#[test]
fn kinesis_bodies_are_decoded_and_keyed_by_shard() {
    let batch = both_ways("aws/kinesis.json", Messages::from_slice);
    assert_eq!(
        ids(&batch),
        ["49590338271490256608559692538361571095921575989136588898"]
    );
    assert_eq!(texts(&batch), ["Hello, this is a test."]);
    assert_eq!(keys(&batch), [Some("shardId-000000000006")]);
    assert!(matches!(batch.origin(), MessagesOrigin::Kinesis(_)));
}

/// Source: AWS Lambda Developer Guide, "Using Lambda with DynamoDB", the example INSERT event.
#[test]
fn dynamodb_records_carry_the_stream_record_as_json() {
    let batch = both_ways("aws/dynamodb.json", Messages::from_slice);
    assert_eq!(ids(&batch), ["4421584500000000017450439091"]);
    let change: serde_json::Value = batch.iter().next().unwrap().json().unwrap();
    assert_eq!(change["NewImage"]["Message"]["S"], "New item!");
    assert!(keys(&batch)[0]
        .unwrap()
        .ends_with("/stream/2015-06-27T00:48:05.899"));
}

/// Source: Midway FaaS's FC MNS topic event (FC "MNS topic triggers", JSON format).
#[test]
fn mns_topic() {
    let batch = both_ways("aliyun/mns_topic.json", Messages::from_slice);
    assert_eq!(ids(&batch), ["2F5B3C281B283D4EAC694B7425288675"]);
    assert_eq!(texts(&batch), ["hello topic"]);
    let MessagesOrigin::MnsTopic(event) = batch.origin() else {
        panic!()
    };
    assert_eq!(event.publish_time.as_deref(), Some("1550216302888"));
}

/// Source: Alibaba Cloud FC, "Simple Message Queue (formerly MNS) queue
/// triggers", step 2, the CloudEvents input (second record ours).
#[test]
fn mns_queue() {
    let batch = both_ways("aliyun/mns_queue.json", Messages::from_slice);
    assert_eq!(
        ids(&batch),
        [
            "C6DB60D1574661357FA227277445****",
            "C6DB60D1574661357FA227277446****"
        ]
    );
    assert_eq!(texts(&batch), ["TEST", "TEST 2"]);
    assert_eq!(keys(&batch), [None, None]);
}

/// Source: Alibaba Cloud FC, "ApsaraMQ for Kafka triggers", step 2, the
/// CloudEvents input (second record ours).
#[test]
fn fc_kafka_is_keyed_by_partition() {
    let batch = both_ways("aliyun/kafka.json", Messages::from_slice);
    assert_eq!(ids(&batch), ["mytopic/7/25", "mytopic/7/26"]);
    assert_eq!(texts(&batch), ["hello kafka msg", "hello again"]);
    assert_eq!(keys(&batch), [Some("mytopic/7"), Some("mytopic/7")]);
}

/// Source: Tencent Cloud SCF, "Trigger Event Message Structure Summary", CMQ topic trigger.
#[test]
fn cmq() {
    let batch = both_ways("tencent/cmq.json", Messages::from_slice);
    assert_eq!(ids(&batch), ["123345346"]);
    assert_eq!(texts(&batch), ["Hello from CMQ!"]);
    let MessagesOrigin::Cmq(event) = batch.origin() else {
        panic!()
    };
    assert_eq!(event.records[0].cmq.msg_tag, ["tag1", "tag2"]);
    let array_tags = br#"{"Records":[{"CMQ":{"msgId":"1","msgBody":"b","msgTag":["a","b"]}}]}"#;
    let MessagesOrigin::Cmq(event) = Messages::from_slice(array_tags).unwrap().into_parts().1
    else {
        panic!()
    };
    assert_eq!(event.records[0].cmq.msg_tag, ["a", "b"]);
}

/// Source: Tencent Cloud SCF, "CKafka trigger" event message structure.
#[test]
fn ckafka() {
    let batch = both_ways("tencent/ckafka.json", Messages::from_slice);
    assert_eq!(ids(&batch), ["test-topic/1/36", "test-topic/1/37"]);
    assert_eq!(
        texts(&batch),
        ["Hello from Ckafka!", "Hello from Ckafka again!"]
    );
    assert_eq!(keys(&batch), [Some("test-topic/1"), Some("test-topic/1")]);
}

#[test]
fn every_other_trigger_is_a_mismatch_naming_what_was_seen() {
    let batches = [
        "aws/sqs",
        "aws/kinesis",
        "aws/dynamodb",
        "aliyun/mns",
        "aliyun/kafka",
        "tencent/cmq",
        "tencent/ckafka",
    ];
    for path in ALL
        .iter()
        .filter(|p| !batches.iter().any(|b| p.starts_with(b)))
    {
        let error = Messages::from_slice(&fixture(path)).unwrap_err();
        assert!(error.is_mismatch(), "{path}: {error}");
    }
    let error = Messages::from_slice(&fixture("aws/s3_put.json")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "expected a queue or stream event (SQS, Kinesis, DynamoDB Streams, MNS, Kafka, CMQ or CKafka), got an S3 event"
    );
    let error = Messages::from_slice(br#"{"name":"Ada"}"#).unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("got an event of no known trigger's shape"),
        "{error}"
    );
    let error = Messages::from_slice(b"not json").unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("got a payload that is not JSON"),
        "{error}"
    );
}
