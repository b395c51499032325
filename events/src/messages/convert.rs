//! Each platform's batch as [`Message`]s. The bodies are copied so the
//! platform's own event stays whole behind [`Messages::origin`](super::Messages::origin).

use aws_lambda_events::event::dynamodb;
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use bytes::Bytes;

use super::{Message, MessagesOrigin};
use crate::aliyun::{KafkaEvent, MnsQueueEvent, MnsTopicEvent};
use crate::tencent::{CkafkaEvent, CmqEvent};

type Batch = (Vec<Message>, MessagesOrigin);

pub(super) fn sqs(event: SqsEvent) -> Batch {
    let messages = event
        .records
        .iter()
        .map(|record| Message {
            id: record.message_id.clone().unwrap_or_default(),
            body: record
                .body
                .as_deref()
                .map(|b| Bytes::copy_from_slice(b.as_bytes()))
                .unwrap_or_default(),
            // Only FIFO queues set a group; standard queues promise no order.
            ordering_key: record.attributes.get("MessageGroupId").cloned(),
        })
        .collect();
    (messages, MessagesOrigin::Sqs(Box::new(event)))
}

pub(super) fn kinesis(event: KinesisEvent) -> Batch {
    let messages = event
        .records
        .iter()
        .map(|record| Message {
            id: record.kinesis.sequence_number.clone(),
            body: Bytes::copy_from_slice(&record.kinesis.data),
            // `eventID` is `<shard id>:<sequence number>`; Lambda sends one
            // shard per batch, but the key keeps that true whatever it sends.
            ordering_key: Some(
                record
                    .event_id
                    .as_deref()
                    .and_then(|id| id.split_once(':'))
                    .map(|(shard, _)| shard.to_owned())
                    .or_else(|| record.event_source_arn.clone())
                    .unwrap_or_default(),
            ),
        })
        .collect();
    (messages, MessagesOrigin::Kinesis(Box::new(event)))
}

pub(super) fn dynamodb(event: dynamodb::Event) -> Batch {
    let messages = event
        .records
        .iter()
        .map(|record| Message {
            id: record
                .change
                .sequence_number
                .clone()
                .unwrap_or_else(|| record.event_id.clone()),
            // Through a `Value` so the attribute maps (hash maps in the
            // typed record) come out in one order, the same every time.
            body: serde_json::to_value(&record.change)
                .and_then(|change| serde_json::to_vec(&change))
                .map(Bytes::from)
                .unwrap_or_default(),
            // A batch comes from one shard and the records name none: the
            // whole batch is one ordered run.
            ordering_key: Some(record.event_source_arn.clone().unwrap_or_default()),
        })
        .collect();
    (messages, MessagesOrigin::DynamoDb(Box::new(event)))
}

pub(super) fn mns_topic(event: MnsTopicEvent) -> Batch {
    let message = Message {
        id: event.message_id.clone(),
        body: Bytes::copy_from_slice(event.message.as_bytes()),
        ordering_key: None,
    };
    (vec![message], MessagesOrigin::MnsTopic(Box::new(event)))
}

pub(super) fn mns_queue(event: MnsQueueEvent) -> Batch {
    let messages = event
        .records
        .iter()
        .map(|record| Message {
            id: record.data.message_id.clone(),
            body: Bytes::copy_from_slice(record.data.message_body.as_bytes()),
            ordering_key: None,
        })
        .collect();
    (messages, MessagesOrigin::MnsQueue(Box::new(event)))
}

pub(super) fn fc_kafka(event: KafkaEvent) -> Batch {
    let messages = event
        .records
        .iter()
        .map(|record| {
            let data = &record.data;
            Message {
                id: format!("{}/{}/{}", data.topic, data.partition, data.offset),
                body: data
                    .value
                    .as_deref()
                    .map(|v| Bytes::copy_from_slice(v.as_bytes()))
                    .unwrap_or_default(),
                ordering_key: Some(format!("{}/{}", data.topic, data.partition)),
            }
        })
        .collect();
    (messages, MessagesOrigin::Kafka(Box::new(event)))
}

pub(super) fn cmq(event: CmqEvent) -> Batch {
    let messages = event
        .records
        .iter()
        .map(|record| Message {
            id: record.cmq.msg_id.clone(),
            body: Bytes::copy_from_slice(record.cmq.msg_body.as_bytes()),
            ordering_key: None,
        })
        .collect();
    (messages, MessagesOrigin::Cmq(Box::new(event)))
}

pub(super) fn ckafka(event: CkafkaEvent) -> Batch {
    let messages = event
        .records
        .iter()
        .map(|record| {
            let data = &record.ckafka;
            Message {
                id: format!("{}/{}/{}", data.topic, data.partition, data.offset),
                body: Bytes::copy_from_slice(data.msg_body.as_bytes()),
                ordering_key: Some(format!("{}/{}", data.topic, data.partition)),
            }
        })
        .collect();
    (messages, MessagesOrigin::Ckafka(Box::new(event)))
}
