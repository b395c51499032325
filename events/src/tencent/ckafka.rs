//! The CKafka trigger's event: `{"Records": [{"Ckafka": ..}]}`.

use serde::{Deserialize, Serialize};

/// A CKafka trigger's event (SCF).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CkafkaEvent {
    /// The records, up to the trigger's `maxMsgNum`.
    #[serde(rename = "Records")]
    pub records: Vec<CkafkaRecord>,
}

/// One record of a CKafka event.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CkafkaRecord {
    /// The Kafka record.
    #[serde(rename = "Ckafka")]
    pub ckafka: CkafkaMessage,
}

/// A CKafka record.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CkafkaMessage {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i64,
    /// The record's offset in its partition.
    pub offset: i64,
    /// The record's key (`None` as text when it has none, as SCF shows it).
    #[serde(default)]
    pub msg_key: Option<String>,
    /// The record's value.
    pub msg_body: String,
}
