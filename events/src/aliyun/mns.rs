//! MNS (Simple Message Queue) triggers: a topic trigger sends one message
//! as a JSON object (format `JSON`; format `STREAM` sends the bare body,
//! which has no shape to recognise); a queue trigger, through EventBridge,
//! sends an array of CloudEvents.

use serde::{Deserialize, Serialize};

use super::{text_or_number, CloudEventEnvelope};

/// An MNS topic trigger's event (notify content format `JSON`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MnsTopicEvent {
    /// The topic owner's account.
    #[serde(default, deserialize_with = "text_or_number")]
    pub topic_owner: Option<String>,
    /// The topic's name.
    #[serde(default)]
    pub topic_name: Option<String>,
    /// The subscriber's account.
    #[serde(default, deserialize_with = "text_or_number")]
    pub subscriber: Option<String>,
    /// The subscription's name.
    #[serde(default)]
    pub subscription_name: Option<String>,
    /// The message id.
    pub message_id: String,
    /// The message body.
    pub message: String,
    /// The body's MD5.
    #[serde(rename = "MessageMD5", default)]
    pub message_md5: Option<String>,
    /// When it was published, milliseconds since the epoch.
    #[serde(default, deserialize_with = "text_or_number")]
    pub publish_time: Option<String>,
}

/// An MNS queue trigger's event: a batch of CloudEvents.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct MnsQueueEvent {
    /// The messages, in the order the queue delivered them.
    pub records: Vec<MnsQueueRecord>,
}

/// One message of an MNS queue trigger.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct MnsQueueRecord {
    /// The CloudEvent envelope (`type` is `mns:Queue:SendMessage`).
    #[serde(flatten)]
    pub envelope: CloudEventEnvelope,
    /// The message.
    pub data: MnsQueueMessage,
}

/// The `data` of an MNS queue CloudEvent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MnsQueueMessage {
    /// MNS's request id.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The message id.
    pub message_id: String,
    /// The message body.
    pub message_body: String,
}
