//! Which trigger sent an event, read from the event's own shape.
//!
//! No platform says in the payload which trigger sent it, so the shape
//! decides: `Records[0].eventSource` on AWS (`aws:s3`, `aws:sqs`, ...),
//! `events[0].eventSource` for OSS, the record's `cos` / `CMQ` / `Ckafka`
//! key on SCF, the `type` of the first CloudEvent in the arrays FC's
//! EventBridge-backed triggers send (MNS queues, Kafka), and a few
//! distinctive top-level keys for timers. Detection reads only those keys
//! and skips the rest without building anything.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// The trigger an event came from, as far as its shape tells.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// Amazon S3 event notification.
    S3,
    /// Alibaba Cloud OSS trigger (FC).
    Oss,
    /// Tencent Cloud COS trigger (SCF).
    Cos,
    /// Amazon SQS.
    Sqs,
    /// Amazon Kinesis Data Streams.
    Kinesis,
    /// Amazon DynamoDB Streams.
    DynamoDbStreams,
    /// Amazon SNS.
    Sns,
    /// Alibaba Cloud MNS (SMQ) topic trigger, JSON format (FC).
    MnsTopic,
    /// Alibaba Cloud MNS (SMQ) queue trigger (FC, CloudEvents through EventBridge).
    MnsQueue,
    /// ApsaraMQ for Kafka trigger (FC, CloudEvents through EventBridge).
    FcKafka,
    /// Tencent Cloud CMQ topic trigger (SCF).
    Cmq,
    /// Tencent Cloud CKafka trigger (SCF).
    Ckafka,
    /// An EventBridge (or CloudWatch Events) event with this `detail-type`;
    /// `"Scheduled Event"` is a schedule.
    EventBridge(String),
    /// FC timer trigger.
    FcTimer,
    /// SCF timer trigger.
    ScfTimer,
    /// An HTTP gateway event (API Gateway, ALB, Function URL, SCF API Gateway).
    HttpGateway,
    /// A JSON event of no known trigger's shape.
    Unknown,
    /// Not JSON at all.
    NotJson,
}

impl Trigger {
    /// The trigger `json` came from. Never fails: what is not recognised
    /// is [`Trigger::Unknown`], what is not JSON [`Trigger::NotJson`].
    pub fn detect(json: &[u8]) -> Trigger {
        match serde_json::from_slice::<Trigger>(json) {
            Ok(trigger) => trigger,
            // A known key holding an unexpected type (`"Records": 3`):
            // JSON, but no trigger's shape.
            Err(error) if error.is_data() => Trigger::Unknown,
            Err(_) => Trigger::NotJson,
        }
    }

    /// Whether this is a scheduled EventBridge / CloudWatch event.
    pub fn is_schedule(&self) -> bool {
        matches!(self, Trigger::EventBridge(kind) if kind == "Scheduled Event")
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::S3 => f.write_str("an S3 event"),
            Trigger::Oss => f.write_str("an OSS event"),
            Trigger::Cos => f.write_str("a COS event"),
            Trigger::Sqs => f.write_str("an SQS event"),
            Trigger::Kinesis => f.write_str("a Kinesis event"),
            Trigger::DynamoDbStreams => f.write_str("a DynamoDB Streams event"),
            Trigger::Sns => f.write_str("an SNS event"),
            Trigger::MnsTopic => f.write_str("an MNS topic event"),
            Trigger::MnsQueue => f.write_str("an MNS queue event"),
            Trigger::FcKafka => f.write_str("a Kafka event (FC)"),
            Trigger::Cmq => f.write_str("a CMQ event"),
            Trigger::Ckafka => f.write_str("a CKafka event"),
            Trigger::EventBridge(kind) => write!(f, "an EventBridge event ({kind:?})"),
            Trigger::FcTimer => f.write_str("an FC timer event"),
            Trigger::ScfTimer => f.write_str("an SCF timer event"),
            Trigger::HttpGateway => f.write_str("an HTTP gateway event"),
            Trigger::Unknown => f.write_str("an event of no known trigger's shape"),
            Trigger::NotJson => f.write_str("a payload that is not JSON"),
        }
    }
}

impl<'de> Deserialize<'de> for Trigger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Trigger;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON event")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Trigger, A::Error> {
        let object = ObjectShape::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(object.trigger())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Trigger, A::Error> {
        let first: Option<CloudEventShape> = seq.next_element()?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(match first.and_then(|event| event.kind) {
            Some(kind) if kind.starts_with("mns:Queue") => Trigger::MnsQueue,
            Some(kind) if kind.starts_with("alikafka:") => Trigger::FcKafka,
            _ => Trigger::Unknown,
        })
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Trigger, E> {
        Ok(Trigger::Unknown)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Trigger, E> {
        Ok(Trigger::Unknown)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Trigger, E> {
        Ok(Trigger::Unknown)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Trigger, E> {
        Ok(Trigger::Unknown)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Trigger, E> {
        Ok(Trigger::Unknown)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Trigger, E> {
        Ok(Trigger::Unknown)
    }
}

/// The top-level keys that tell triggers apart; everything else is skipped.
#[derive(Deserialize)]
struct ObjectShape {
    #[serde(rename = "Records", default)]
    records: Option<First<RecordShape>>,
    #[serde(default)]
    events: Option<First<RecordShape>>,
    #[serde(rename = "detail-type", default)]
    detail_type: Option<String>,
    #[serde(rename = "triggerTime", default)]
    trigger_time: Option<IgnoredAny>,
    #[serde(rename = "Type", default)]
    scf_type: Option<String>,
    #[serde(rename = "TopicOwner", default)]
    topic_owner: Option<IgnoredAny>,
    #[serde(rename = "requestContext", default)]
    request_context: Option<IgnoredAny>,
}

impl ObjectShape {
    fn trigger(self) -> Trigger {
        if let Some(First(Some(record))) = self.records {
            return record.trigger();
        }
        if let Some(First(Some(record))) = self.events {
            if record.event_source.as_deref() == Some("acs:oss") {
                return Trigger::Oss;
            }
        }
        if let Some(kind) = self.detail_type {
            return Trigger::EventBridge(kind);
        }
        if self.trigger_time.is_some() {
            return Trigger::FcTimer;
        }
        if self.scf_type.as_deref() == Some("Timer") {
            return Trigger::ScfTimer;
        }
        if self.topic_owner.is_some() {
            return Trigger::MnsTopic;
        }
        if self.request_context.is_some() {
            return Trigger::HttpGateway;
        }
        Trigger::Unknown
    }
}

/// The keys of a `Records[0]` (or OSS `events[0]`) that name its source.
#[derive(Deserialize)]
struct RecordShape {
    #[serde(rename = "eventSource", alias = "EventSource", default)]
    event_source: Option<String>,
    #[serde(default)]
    cos: Option<IgnoredAny>,
    #[serde(rename = "CMQ", default)]
    cmq: Option<IgnoredAny>,
    #[serde(rename = "Ckafka", default)]
    ckafka: Option<IgnoredAny>,
}

impl RecordShape {
    fn trigger(self) -> Trigger {
        match self.event_source.as_deref() {
            Some("aws:s3") => return Trigger::S3,
            Some("aws:sqs") => return Trigger::Sqs,
            Some("aws:kinesis") => return Trigger::Kinesis,
            Some("aws:dynamodb") => return Trigger::DynamoDbStreams,
            Some("aws:sns") => return Trigger::Sns,
            _ => {}
        }
        if self.cos.is_some() {
            Trigger::Cos
        } else if self.cmq.is_some() {
            Trigger::Cmq
        } else if self.ckafka.is_some() {
            Trigger::Ckafka
        } else {
            Trigger::Unknown
        }
    }
}

#[derive(Deserialize)]
struct CloudEventShape {
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

/// The first element of an array, the others skipped.
struct First<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FirstVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for FirstVisitor<T> {
            type Value = First<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First<T>, A::Error> {
                let first = seq.next_element()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(First(first))
            }
        }
        deserializer.deserialize_seq(FirstVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_name_their_trigger() {
        let cases: &[(&str, Trigger)] = &[
            (r#"{"Records":[{"eventSource":"aws:sqs"}]}"#, Trigger::Sqs),
            (r#"{"Records":[{"EventSource":"aws:sns"}]}"#, Trigger::Sns),
            (r#"{"Records":[{"cos":{},"event":{}}]}"#, Trigger::Cos),
            (r#"{"events":[{"eventSource":"acs:oss"}]}"#, Trigger::Oss),
            (
                r#"[{"type":"alikafka:Topic:Message"},{}]"#,
                Trigger::FcKafka,
            ),
            (r#"{"triggerTime":"x","triggerName":"t"}"#, Trigger::FcTimer),
            (r#"{"Type":"Timer","TriggerName":"t"}"#, Trigger::ScfTimer),
            (r#"{"requestContext":{},"body":null}"#, Trigger::HttpGateway),
            (r#"{"a":[1,2,{"b":null}]}"#, Trigger::Unknown),
            (r#"{"Records":[]}"#, Trigger::Unknown),
            (r#"{"Records":3}"#, Trigger::Unknown),
            ("[]", Trigger::Unknown),
            ("42", Trigger::Unknown),
            ("{", Trigger::NotJson),
        ];
        for (json, expected) in cases {
            assert_eq!(&Trigger::detect(json.as_bytes()), expected, "{json}");
        }
        let scheduled =
            Trigger::detect(br#"{"detail-type":"Scheduled Event","source":"aws.events"}"#);
        assert!(scheduled.is_schedule());
    }
}
