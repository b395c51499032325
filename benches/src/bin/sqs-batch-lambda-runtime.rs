//! The reference for the SQS batch comparison: the order check of
//! `examples/sqs_batch.rs` on AWS's `lambda_runtime` with
//! `aws_lambda_events`' `SqsEvent` and `SqsBatchResponse`, written as AWS's
//! partial-batch-response examples write it: each record in turn, the
//! failed ids collected.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::Deserialize;

#[derive(Deserialize)]
struct Order {
    qty: u32,
}

async fn check(body: &str) -> Result<(), Error> {
    let order: Order = serde_json::from_str(body)?;
    if order.qty == 0 {
        return Err("an order for nothing".into());
    }
    Ok(())
}

async fn handler(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    for record in event.payload.records {
        if check(record.body.as_deref().unwrap_or_default())
            .await
            .is_err()
        {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = record.message_id.unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    Ok(response)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
