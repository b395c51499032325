//! The shipped example events (`invoke --example KIND`): one realistic event
//! per common trigger, as each platform's documentation shows it, embedded
//! in the command so it needs no files beside it.
//!
//! `cli/tests/invoke_examples.rs` reads every one with the `events` crate's
//! matching type: an example that drifts from the platform's shape fails
//! there, not in a user's handler.

/// One shipped example event.
#[derive(Clone, Copy, Debug)]
pub struct ExampleEvent {
    /// What the user types after `--example`.
    pub kind: &'static str,
    /// The trigger, in words, for `--list-examples`.
    pub about: &'static str,
    /// The event's JSON.
    pub json: &'static str,
}

macro_rules! example {
    ($kind:literal, $about:literal) => {
        ExampleEvent {
            kind: $kind,
            about: $about,
            json: include_str!(concat!("../../examples-events/", $kind, ".json")),
        }
    };
}

/// Every shipped example, AWS first, then Alibaba Cloud FC, then Tencent SCF.
pub const EXAMPLES: &[ExampleEvent] = &[
    example!("apigw-rest", "AWS API Gateway REST API (payload 1.0)"),
    example!("apigw-http", "AWS API Gateway HTTP API (payload 2.0)"),
    example!("alb", "AWS Application Load Balancer"),
    example!("function-url", "AWS Lambda function URL"),
    example!("s3", "AWS S3 object created"),
    example!("sqs", "AWS SQS messages"),
    example!("sns", "AWS SNS notification"),
    example!("eventbridge", "AWS EventBridge custom event"),
    example!("schedule", "AWS EventBridge schedule"),
    example!("fc-oss", "Alibaba Cloud FC OSS trigger"),
    example!("fc-timer", "Alibaba Cloud FC timer trigger"),
    example!("fc-http", "Alibaba Cloud FC HTTP trigger"),
    example!("scf-cos", "Tencent Cloud SCF COS trigger"),
    example!("scf-timer", "Tencent Cloud SCF timer trigger"),
    example!("scf-apigw", "Tencent Cloud SCF API Gateway trigger"),
];

/// The example called `kind`, or an error listing the known ones.
pub fn find(kind: &str) -> Result<&'static ExampleEvent, String> {
    EXAMPLES
        .iter()
        .find(|example| example.kind.eq_ignore_ascii_case(kind))
        .ok_or_else(|| {
            let known: Vec<&str> = EXAMPLES.iter().map(|example| example.kind).collect();
            format!(
                "no example event called `{kind}`; the examples are: {}",
                known.join(", ")
            )
        })
}

/// The `--list-examples` text: one line per example.
pub fn listing() -> String {
    EXAMPLES
        .iter()
        .map(|example| format!("{:<14} {}\n", example.kind, example.about))
        .collect()
}
