//! Reading the fixtures under `tests/fixtures/`.

#![allow(dead_code)]

use serde::de::DeserializeOwned;

/// The bytes of `tests/fixtures/<path>`.
pub(crate) fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Reads `path` both ways a view can be read, the fast path (`from_slice`)
/// and `Deserialize` (what a handler gets), and checks they agree.
pub(crate) fn both_ways<T: DeserializeOwned + PartialEq + std::fmt::Debug>(
    path: &str,
    from_slice: impl Fn(&[u8]) -> Result<T, light_runtime_events::EventError>,
) -> T {
    let bytes = fixture(path);
    let fast = from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    let via_serde: T = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(fast, via_serde, "{path}: both readings agree");
    fast
}

/// Every fixture, by path.
pub(crate) const ALL: &[&str] = &[
    "aws/s3_put.json",
    "aws/s3_delete_encoded_key.json",
    "aws/sqs.json",
    "aws/sqs_fifo.json",
    "aws/kinesis.json",
    "aws/dynamodb.json",
    "aws/eventbridge_scheduled.json",
    "aws/scheduler.json",
    "aliyun/oss.json",
    "aliyun/timer.json",
    "aliyun/mns_topic.json",
    "aliyun/mns_queue.json",
    "aliyun/kafka.json",
    "tencent/cos.json",
    "tencent/timer.json",
    "tencent/cmq.json",
    "tencent/ckafka.json",
];
