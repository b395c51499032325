//! A batch function: checks each order of an SQS batch and reports the
//! ones it rejects, so SQS redelivers only those. `cargo build --release
//! --example sqs_batch`; the bench `sqs-batch-callgrind` compares it with
//! the same check on `lambda_runtime` + `aws_lambda_events`.
//!
//! The same binary runs on FC (MNS, Kafka) and SCF (CMQ, CKafka) unchanged;
//! there a rejected order fails the whole batch, naming it.

use light_runtime::events::messages::Message;
use light_runtime::{batch, Context, Error};
use serde::Deserialize;

#[derive(Deserialize)]
struct Order {
    qty: u32,
}

async fn check(message: Message, _ctx: Context) -> Result<(), Error> {
    let order: Order = message.json()?;
    if order.qty == 0 {
        return Err(Error::msg("an order for nothing"));
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), light_runtime::RuntimeError> {
    light_runtime::run(batch::each(check)).await
}
