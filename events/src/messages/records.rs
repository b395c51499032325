//! Reading only a batch's records, for a batch handler that never looks at
//! the platform's own event: SQS, the most common batch, is read in one
//! pass into just what a [`Message`] holds (id, body, message group),
//! skipping the attribute maps `aws_lambda_events`' `SqsEvent` builds.
//! Anything else goes through [`Messages`].

use std::borrow::Cow;

use bytes::Bytes;
use serde::Deserialize;

use super::{Message, Messages};
use crate::error::EventError;
use crate::trigger::Trigger;

#[derive(Deserialize)]
struct SqsRecords<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<SqsRecord<'a>>,
}

#[derive(Deserialize)]
struct SqsRecord<'a> {
    #[serde(rename = "eventSource", borrow, default)]
    event_source: Option<Cow<'a, str>>,
    #[serde(rename = "messageId", default)]
    message_id: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    attributes: Option<SqsAttributes>,
}

#[derive(Deserialize)]
struct SqsAttributes {
    #[serde(rename = "MessageGroupId", default)]
    message_group_id: Option<String>,
}

impl Messages {
    /// The batch's trigger and its messages, without the platform's own
    /// event: the same messages as [`Messages::from_slice`] then
    /// [`Messages::into_parts`], read with less work where the shape allows.
    pub fn records_from_slice(json: &[u8]) -> Result<(Trigger, Vec<Message>), EventError> {
        if let Some(messages) = sqs(json) {
            return Ok((Trigger::Sqs, messages));
        }
        let batch = Messages::from_slice(json)?;
        let trigger = batch.origin.trigger();
        Ok((trigger, batch.messages))
    }
}

/// The messages of an SQS event, or `None` if `json` is not one (then the
/// general path detects what it is and explains any error).
fn sqs(json: &[u8]) -> Option<Vec<Message>> {
    let event: SqsRecords<'_> = serde_json::from_slice(json).ok()?;
    let is_sqs = |r: &SqsRecord<'_>| r.event_source.as_deref() == Some("aws:sqs");
    if event.records.is_empty() || !event.records.iter().all(is_sqs) {
        return None;
    }
    Some(
        event
            .records
            .into_iter()
            .map(|record| Message {
                id: record.message_id.unwrap_or_default(),
                body: record.body.map(Bytes::from).unwrap_or_default(),
                ordering_key: record.attributes.and_then(|a| a.message_group_id),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sqs_reading_matches_the_general_one() {
        let json = br#"{"Records":[
            {"messageId":"a","body":"{\"x\":1}","attributes":{"MessageGroupId":"g","SentTimestamp":"1"},
             "messageAttributes":{},"eventSource":"aws:sqs","eventSourceARN":"arn","awsRegion":"r"},
            {"messageId":"b","body":"plain","attributes":{},"eventSource":"aws:sqs"}]}"#;
        let (trigger, fast) = Messages::records_from_slice(json).unwrap();
        assert_eq!(trigger, Trigger::Sqs);
        let general = Messages::from_slice(json).unwrap().into_parts().0;
        assert_eq!(fast, general);
    }

    #[test]
    fn other_batches_take_the_general_path() {
        let ckafka =
            br#"{"Records":[{"Ckafka":{"topic":"t","partition":0,"offset":1,"msgBody":"x"}}]}"#;
        let (trigger, messages) = Messages::records_from_slice(ckafka).unwrap();
        assert_eq!((trigger, messages[0].id()), (Trigger::Ckafka, "t/0/1"));
        let s3 = br#"{"Records":[{"eventSource":"aws:s3"}]}"#;
        let error = Messages::records_from_slice(s3).unwrap_err();
        assert!(error.to_string().ends_with("got an S3 event"), "{error}");
    }
}
