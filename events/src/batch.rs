//! Which records of a batch failed, and the answer each platform expects.
//!
//! | trigger | partial failure | what the answer is |
//! |---|---|---|
//! | SQS, Kinesis, DynamoDB Streams | yes (`ReportBatchItemFailures`) | `{"batchItemFailures":[{"itemIdentifier": id}, ..]}`, empty when all succeeded |
//! | MNS, Kafka (FC); CMQ, CKafka (SCF) | no | all succeeded: `{"batchItemFailures":[]}`; any failed: the invocation fails with a [`BatchFailure`] naming the failed ids (the first 20 in its message, all in `failures()`), so the platform retries the whole batch |
//!
//! On AWS the event source mapping must have `ReportBatchItemFailures`
//! turned on; without it Lambda reads any successful answer as "all done".

use std::fmt;

use serde::ser::SerializeStruct;
use serde::Serialize;

use crate::trigger::Trigger;

/// The outcome of a batch: how many records it had and which failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    records: usize,
    failures: Vec<RecordFailure>,
}

/// A record that failed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFailure {
    /// The record's id ([`Message::id`](crate::messages::Message::id)).
    pub id: String,
    /// What went wrong, as the handler's error or panic said it.
    pub reason: String,
}

impl BatchOutcome {
    /// An outcome for a batch of `records` records, none failed yet.
    pub fn new(records: usize) -> Self {
        BatchOutcome {
            records,
            failures: Vec::new(),
        }
    }

    /// Records that the record `id` failed, with `reason`.
    pub fn fail(&mut self, id: impl Into<String>, reason: impl Into<String>) {
        self.failures.push(RecordFailure {
            id: id.into(),
            reason: reason.into(),
        });
    }

    /// The failed records, in the order they were recorded.
    pub fn failures(&self) -> &[RecordFailure] {
        &self.failures
    }

    /// The answer `trigger`'s platform expects: the response, or, where
    /// the platform has no partial-failure contract and a record failed,
    /// the error that fails the whole invocation. Both fit a handler's
    /// `Result`, for a function that takes [`Messages`](crate::messages::Messages)
    /// and keeps its own outcome.
    pub fn answer(self, trigger: &Trigger) -> Result<BatchResponse, BatchFailure> {
        if !self.failures.is_empty() && !reports_item_failures(trigger) {
            return Err(BatchFailure {
                trigger: trigger.clone(),
                records: self.records,
                failures: self.failures,
            });
        }
        Ok(BatchResponse {
            failures: self.failures,
        })
    }
}

/// Whether `trigger`'s platform takes a list of failed records
/// (`batchItemFailures`) and retries only those.
pub fn reports_item_failures(trigger: &Trigger) -> bool {
    matches!(
        trigger,
        Trigger::Sqs | Trigger::Kinesis | Trigger::DynamoDbStreams
    )
}

/// Lambda's partial-batch response, `{"batchItemFailures":[{"itemIdentifier": id}, ..]}`.
///
/// The same JSON as `aws_lambda_events`' `SqsBatchResponse` (and Kinesis'
/// and DynamoDB's), serialised from the failures as they are, without a
/// copy of every id into that type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchResponse {
    failures: Vec<RecordFailure>,
}

impl BatchResponse {
    /// The failed records the response names.
    pub fn failures(&self) -> &[RecordFailure] {
        &self.failures
    }
}

impl Serialize for BatchResponse {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct ItemFailure<'a> {
            item_identifier: &'a str,
        }
        let mut body = serializer.serialize_struct("BatchResponse", 1)?;
        let items: Vec<ItemFailure<'_>> = self
            .failures
            .iter()
            .map(|f| ItemFailure {
                item_identifier: &f.id,
            })
            .collect();
        body.serialize_field("batchItemFailures", &items)?;
        body.end()
    }
}

/// A batch with failed records, on a platform with no partial-failure
/// answer: the whole invocation fails, and the platform retries the whole
/// batch (its retry policy decides how often).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFailure {
    trigger: Trigger,
    records: usize,
    failures: Vec<RecordFailure>,
}

impl BatchFailure {
    /// The `errorType` the runtime reports it with.
    pub const ERROR_TYPE: &'static str = "Function.BatchFailure";

    /// The failed records.
    pub fn failures(&self) -> &[RecordFailure] {
        &self.failures
    }
}

/// How many failed records a [`BatchFailure`]'s message lists by id.
const LISTED_FAILURES: usize = 20;

impl fmt::Display for BatchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} records failed, and {} has no partial-failure answer, so the whole batch fails: ",
            self.failures.len(),
            self.records,
            self.trigger
        )?;
        // A batch of thousands (Kinesis, Kafka) must not make an error
        // message of megabytes: the first few name the problem, and
        // `failures()` keeps them all.
        for (i, failure) in self.failures.iter().take(LISTED_FAILURES).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "`{}`: {}", failure.id, failure.reason)?;
        }
        if let Some(more) = self
            .failures
            .len()
            .checked_sub(LISTED_FAILURES)
            .filter(|n| *n > 0)
        {
            write!(f, "; and {more} more")?;
        }
        Ok(())
    }
}

impl std::error::Error for BatchFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome() -> BatchOutcome {
        let mut outcome = BatchOutcome::new(3);
        outcome.fail("m-2", "bad order");
        outcome.fail("m-3", "panic: boom");
        outcome
    }

    #[test]
    fn aws_triggers_answer_the_failed_ids() {
        for trigger in [Trigger::Sqs, Trigger::Kinesis, Trigger::DynamoDbStreams] {
            let json = serde_json::to_string(&outcome().answer(&trigger).unwrap()).unwrap();
            assert_eq!(
                json,
                r#"{"batchItemFailures":[{"itemIdentifier":"m-2"},{"itemIdentifier":"m-3"}]}"#
            );
        }
        let json = serde_json::to_string(&BatchOutcome::new(2).answer(&Trigger::Sqs).unwrap());
        assert_eq!(json.unwrap(), r#"{"batchItemFailures":[]}"#);
    }

    #[test]
    fn other_triggers_fail_the_whole_batch_naming_each_id() {
        let failure = outcome().answer(&Trigger::Ckafka).unwrap_err();
        assert_eq!(
            failure.to_string(),
            "2 of 3 records failed, and a CKafka event has no partial-failure answer, \
             so the whole batch fails: `m-2`: bad order; `m-3`: panic: boom"
        );
        assert_eq!(failure.failures().len(), 2);

        let mut many = BatchOutcome::new(500);
        for i in 0..500 {
            many.fail(format!("m-{i}"), "bad order");
        }
        let failure = many.answer(&Trigger::Cmq).unwrap_err();
        let message = failure.to_string();
        assert!(
            message.contains("`m-19`: bad order; and 480 more"),
            "{message}"
        );
        assert!(!message.contains("`m-20`"), "{message}");
        assert_eq!(failure.failures().len(), 500);
        let ok = serde_json::to_string(&BatchOutcome::new(3).answer(&Trigger::MnsQueue).unwrap());
        assert_eq!(ok.unwrap(), r#"{"batchItemFailures":[]}"#);
    }
}
