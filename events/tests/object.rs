//! `ObjectEvent` from each cloud's documented notification, and its refusals.

mod support;

use chrono::{TimeZone, Utc};
use light_runtime_events::object::{ObjectEvent, ObjectEvents, ObjectKind, ObjectOrigin};
use support::{both_ways, fixture, ALL};

/// Source: AWS Lambda Developer Guide, "Using AWS Lambda with Amazon S3",
/// the example S3 notification event.
#[test]
fn s3_put() {
    let event = both_ways("aws/s3_put.json", ObjectEvent::from_slice);
    assert_eq!(event.bucket, "DOC-EXAMPLE-BUCKET");
    assert_eq!(event.key, "b21b84d653bb07b05b1e6b33684dc11b");
    assert_eq!(event.size, Some(1305107));
    assert_eq!(
        event.etag.as_deref(),
        Some("b21b84d653bb07b05b1e6b33684dc11b")
    );
    assert_eq!(event.kind, ObjectKind::Created);
    assert_eq!(event.event_name, "ObjectCreated:Put");
    assert_eq!(event.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        event.time,
        Some(
            Utc.with_ymd_and_hms(2019, 9, 3, 19, 37, 27).unwrap()
                + chrono::Duration::milliseconds(192)
        )
    );
    let ObjectOrigin::S3(record) = event.origin() else {
        panic!("an S3 origin: {:?}", event.origin())
    };
    assert_eq!(
        record.s3.object.sequencer.as_deref(),
        Some("0C0F6F405D6ED209E1")
    );
}

/// Source: Amazon S3 User Guide, "Event message structure" (keys are
/// URL-encoded; a removal carries no size or ETag). Values ours.
#[test]
fn s3_delete_with_an_encoded_key() {
    let event = both_ways("aws/s3_delete_encoded_key.json", ObjectEvent::from_slice);
    assert_eq!(event.key, "holiday 2024/beach, day 1.jpg");
    assert_eq!(event.kind, ObjectKind::Removed);
    assert_eq!((event.size, event.etag.as_deref()), (None, None));
}

/// Source: Alibaba Cloud FC, "Formats of event for different triggers", OSS triggers.
#[test]
fn oss_put() {
    let event = both_ways("aliyun/oss.json", ObjectEvent::from_slice);
    assert_eq!(event.bucket, "testbucket");
    assert_eq!(event.key, "source/a.png");
    assert_eq!(event.size, Some(122539));
    assert_eq!(
        event.etag.as_deref(),
        Some("688A7BF4F233DC9C88A80BF985AB****")
    );
    assert_eq!(event.kind, ObjectKind::Created);
    assert_eq!(event.region.as_deref(), Some("cn-hangzhou"));
    assert_eq!(
        event.time,
        Some(Utc.with_ymd_and_hms(2022, 8, 13, 6, 45, 43).unwrap())
    );
    let ObjectOrigin::Oss(record) = event.origin() else {
        panic!("an OSS origin")
    };
    assert_eq!(record.oss.object.delta_size, Some(122539));
}

/// Source: Tencent Cloud SCF, "Trigger Event Message Structure Summary", COS trigger.
#[test]
fn cos_created() {
    let event = both_ways("tencent/cos.json", ObjectEvent::from_slice);
    assert_eq!(event.bucket, "testpic");
    assert_eq!(
        event.key, "testfile",
        "the /<appid>/<bucket>/ prefix is gone"
    );
    assert_eq!(event.size, Some(1029));
    assert_eq!(event.etag, None);
    assert_eq!(event.kind, ObjectKind::Created);
    assert_eq!(
        event.region.as_deref(),
        Some("ap-chengdu"),
        "the full region, from the URL"
    );
    assert_eq!(event.time, Some(Utc.timestamp_opt(1545205770, 0).unwrap()));
    let ObjectOrigin::Cos(record) = event.into_origin() else {
        panic!("a COS origin")
    };
    assert_eq!(record.cos.cos_bucket.region.as_deref(), Some("cd"));
}

#[test]
fn several_records_are_refused_by_object_event_and_read_by_object_events() {
    let mut doubled: serde_json::Value =
        serde_json::from_slice(&fixture("aws/s3_put.json")).unwrap();
    let record = doubled["Records"][0].clone();
    doubled["Records"].as_array_mut().unwrap().push(record);
    let json = serde_json::to_vec(&doubled).unwrap();
    let error = ObjectEvent::from_slice(&json).unwrap_err();
    assert_eq!(
        error.to_string(),
        "expected an object-storage event (S3, OSS or COS) with one record, got 2 records \
         (take `ObjectEvents` to receive every record)"
    );
    assert_eq!(ObjectEvents::from_slice(&json).unwrap().events.len(), 2);
}

#[test]
fn every_other_trigger_is_a_mismatch_naming_what_was_seen() {
    for path in ALL {
        if ["aws/s3", "aliyun/oss", "tencent/cos"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            continue;
        }
        let error = ObjectEvent::from_slice(&fixture(path)).unwrap_err();
        assert!(error.is_mismatch(), "{path}: {error}");
        let message = error.to_string();
        assert!(
            message.starts_with("expected an object-storage event (S3, OSS or COS), got "),
            "{path}: {message}"
        );
    }
    let sqs = ObjectEvent::from_slice(&fixture("aws/sqs.json")).unwrap_err();
    assert_eq!(
        sqs.to_string(),
        "expected an object-storage event (S3, OSS or COS), got an SQS event"
    );
    let through_serde =
        serde_json::from_slice::<ObjectEvent>(&fixture("aws/sqs.json")).unwrap_err();
    assert!(
        through_serde.to_string().contains("got an SQS event"),
        "{through_serde}"
    );
}

#[test]
fn a_recognised_trigger_with_a_broken_record_says_which_and_where() {
    let broken = br#"{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss","eventTime":"t","region":"r","oss":{"bucket":{},"object":{"key":"k"}}}]}"#;
    let error = ObjectEvent::from_slice(broken).unwrap_err();
    assert!(!error.is_mismatch());
    let message = error.to_string();
    assert!(
        message.starts_with(
            "an OSS event that does not match its documented shape: missing field `name`"
        ),
        "{message}"
    );
}
