//! Alibaba Cloud Function Compute's own event shapes, written from FC's
//! documentation ("Formats of event for different triggers", and the MNS
//! queue and Kafka trigger pages). No maintained crate has them.
//!
//! Fields FC documents are typed; a field FC may leave out is an `Option`
//! or defaults, so a sparser real event still reads.

mod kafka;
mod mns;
mod oss;
mod timer;

pub use kafka::{KafkaEvent, KafkaMessage, KafkaRecord};
pub use mns::{MnsQueueEvent, MnsQueueMessage, MnsQueueRecord, MnsTopicEvent};
pub use oss::{OssBucket, OssEntity, OssEvent, OssObject, OssRecord};
pub use timer::TimerEvent;

use serde::de::{Deserializer, Error};
use serde::Deserialize;

/// FC's EventBridge-backed triggers (MNS queues, Kafka) send a JSON array
/// of CloudEvents; these are the envelope's fields every element carries.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct CloudEventEnvelope {
    /// The event's id.
    #[serde(default)]
    pub id: String,
    /// The event source (`acs:alikafka`, the trigger's name for MNS).
    #[serde(default)]
    pub source: String,
    /// The event type (`alikafka:Topic:Message`, `mns:Queue:SendMessage`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The resource the event is about (the topic or queue).
    #[serde(default)]
    pub subject: Option<String>,
    /// When the event happened, RFC 3339.
    #[serde(default)]
    pub time: Option<String>,
    /// The region (`aliyunregionid`), when FC sends it.
    #[serde(rename = "aliyunregionid", default)]
    pub region: Option<String>,
}

/// A number FC documents as a string in one place and a number in another
/// (`TopicOwner`, `PublishTime`), kept as text.
pub(crate) fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(text)) => Ok(Some(text)),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(D::Error::custom(format!(
            "expected a string or a number, got {other}"
        ))),
    }
}
