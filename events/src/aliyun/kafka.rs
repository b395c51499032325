//! The ApsaraMQ for Kafka trigger: through EventBridge, an array of
//! CloudEvents whose `data` is one Kafka record each.

use serde::{Deserialize, Serialize};

use super::CloudEventEnvelope;

/// A Kafka trigger's event (FC, CloudEvents schema, FC's default).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct KafkaEvent {
    /// The records, in the order EventBridge batched them.
    pub records: Vec<KafkaRecord>,
}

/// One record of a Kafka trigger's batch.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KafkaRecord {
    /// The CloudEvent envelope (`type` is `alikafka:Topic:Message`).
    #[serde(flatten)]
    pub envelope: CloudEventEnvelope,
    /// The Kafka record.
    pub data: KafkaMessage,
}

/// The `data` of a Kafka CloudEvent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct KafkaMessage {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i64,
    /// The record's offset in its partition.
    pub offset: i64,
    /// When the record was produced, milliseconds since the epoch.
    #[serde(default)]
    pub timestamp: Option<i64>,
    /// The record's key.
    #[serde(default)]
    pub key: Option<String>,
    /// The record's value.
    #[serde(default)]
    pub value: Option<String>,
    /// The record's headers, as sent.
    #[serde(default)]
    pub headers: Option<serde_json::Value>,
}
