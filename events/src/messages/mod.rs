//! [`Messages`]: a batch of queue or stream records, from SQS, Kinesis,
//! DynamoDB Streams (AWS), MNS and Kafka (FC), CMQ and CKafka (SCF).
//!
//! Each [`Message`] has an id (the one the platform's partial-failure
//! answer names, or that an error names where there is none), its body as
//! bytes, and an ordering key: records with the same key must be handled
//! in order (an SQS FIFO message group, a Kinesis shard, a DynamoDB
//! stream, a Kafka topic partition); records without one are independent.
//!
//! ```
//! use light_runtime_events::messages::Messages;
//!
//! let ckafka = br#"{"Records":[
//!   {"Ckafka":{"topic":"t","partition":1,"offset":36,"msgKey":"None","msgBody":"a"}},
//!   {"Ckafka":{"topic":"t","partition":1,"offset":37,"msgKey":"None","msgBody":"b"}}]}"#;
//! let batch = Messages::from_slice(ckafka)?;
//! let bodies: Vec<_> = batch.iter().map(|m| m.text().unwrap()).collect();
//! assert_eq!(bodies, ["a", "b"]);
//! assert_eq!(batch.iter().next().unwrap().ordering_key(), Some("t/1"));
//! # Ok::<(), light_runtime_events::EventError>(())
//! ```

mod convert;
mod records;

use aws_lambda_events::event::dynamodb;
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::aliyun::{KafkaEvent, MnsQueueEvent, MnsTopicEvent};
use crate::error::EventError;
use crate::source::{deserialize_via_read, Source};
use crate::tencent::{CkafkaEvent, CmqEvent};
use crate::trigger::Trigger;

/// One record of a batch, the same on every cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    id: String,
    body: Bytes,
    ordering_key: Option<String>,
}

impl Message {
    /// A message; for tests and for batches built by hand.
    pub fn new(
        id: impl Into<String>,
        body: impl Into<Bytes>,
        ordering_key: Option<String>,
    ) -> Self {
        Message {
            id: id.into(),
            body: body.into(),
            ordering_key,
        }
    }

    /// The record's id: SQS `messageId`, the Kinesis or DynamoDB sequence
    /// number, the MNS or CMQ message id, `topic/partition/offset` for Kafka.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The body: the message, the Kinesis data (base64-decoded), or the
    /// DynamoDB stream record (`dynamodb`: keys and images) as JSON.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text, if it is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// The body read as JSON into `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// Records with the same key are handled in order; `None` means this
    /// record is independent of the others.
    pub fn ordering_key(&self) -> Option<&str> {
        self.ordering_key.as_deref()
    }

    /// The body, owned.
    pub fn into_body(self) -> Bytes {
        self.body
    }
}

/// A batch of messages, the same on every cloud.
#[derive(Debug, Clone, PartialEq)]
pub struct Messages {
    messages: Vec<Message>,
    origin: MessagesOrigin,
}

/// The event a [`Messages`] batch was read from, in its platform's own type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MessagesOrigin {
    /// SQS (`aws_lambda_events`).
    Sqs(Box<SqsEvent>),
    /// Kinesis Data Streams (`aws_lambda_events`).
    Kinesis(Box<KinesisEvent>),
    /// DynamoDB Streams (`aws_lambda_events`).
    DynamoDb(Box<dynamodb::Event>),
    /// An MNS topic trigger's message (FC, one per event).
    MnsTopic(Box<MnsTopicEvent>),
    /// An MNS queue trigger's batch (FC).
    MnsQueue(Box<MnsQueueEvent>),
    /// A Kafka trigger's batch (FC).
    Kafka(Box<KafkaEvent>),
    /// A CMQ topic trigger's batch (SCF).
    Cmq(Box<CmqEvent>),
    /// A CKafka trigger's batch (SCF).
    Ckafka(Box<CkafkaEvent>),
}

impl MessagesOrigin {
    /// The trigger the batch came from.
    pub fn trigger(&self) -> Trigger {
        match self {
            MessagesOrigin::Sqs(_) => Trigger::Sqs,
            MessagesOrigin::Kinesis(_) => Trigger::Kinesis,
            MessagesOrigin::DynamoDb(_) => Trigger::DynamoDbStreams,
            MessagesOrigin::MnsTopic(_) => Trigger::MnsTopic,
            MessagesOrigin::MnsQueue(_) => Trigger::MnsQueue,
            MessagesOrigin::Kafka(_) => Trigger::FcKafka,
            MessagesOrigin::Cmq(_) => Trigger::Cmq,
            MessagesOrigin::Ckafka(_) => Trigger::Ckafka,
        }
    }
}

const EXPECTED: &str =
    "a queue or stream event (SQS, Kinesis, DynamoDB Streams, MNS, Kafka, CMQ or CKafka)";

impl Messages {
    /// Reads a batch from its JSON, whichever cloud sent it.
    pub fn from_slice(json: &[u8]) -> Result<Self, EventError> {
        Self::read(json)
    }

    /// The messages, in the order the platform sent them.
    pub fn iter(&self) -> std::slice::Iter<'_, Message> {
        self.messages.iter()
    }

    /// How many messages the batch holds.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The platform's own event this batch was read from.
    pub fn origin(&self) -> &MessagesOrigin {
        &self.origin
    }

    /// The messages and the platform's own event, owned.
    pub fn into_parts(self) -> (Vec<Message>, MessagesOrigin) {
        (self.messages, self.origin)
    }

    fn read(source: impl Source) -> Result<Self, EventError> {
        let seen = source.trigger();
        let (messages, origin) = match seen {
            Trigger::Sqs => convert::sqs(source.parse(&seen)?),
            Trigger::Kinesis => convert::kinesis(source.parse(&seen)?),
            Trigger::DynamoDbStreams => convert::dynamodb(source.parse(&seen)?),
            Trigger::MnsTopic => convert::mns_topic(source.parse(&seen)?),
            Trigger::MnsQueue => convert::mns_queue(source.parse(&seen)?),
            Trigger::FcKafka => convert::fc_kafka(source.parse(&seen)?),
            Trigger::Cmq => convert::cmq(source.parse(&seen)?),
            Trigger::Ckafka => convert::ckafka(source.parse(&seen)?),
            other => return Err(EventError::mismatch(EXPECTED, other)),
        };
        Ok(Messages { messages, origin })
    }
}

impl IntoIterator for Messages {
    type Item = Message;
    type IntoIter = std::vec::IntoIter<Message>;

    fn into_iter(self) -> Self::IntoIter {
        self.messages.into_iter()
    }
}

impl<'a> IntoIterator for &'a Messages {
    type Item = &'a Message;
    type IntoIter = std::slice::Iter<'a, Message>;

    fn into_iter(self) -> Self::IntoIter {
        self.messages.iter()
    }
}

deserialize_via_read!(Messages);
