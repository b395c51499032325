//! The platforms' events, typed, and one view of them across clouds.
//!
//! Each cloud sends its own JSON for the same kind of trigger. This crate
//! reads them: HTTP requests from every gateway become `http::Request`s
//! (and responses go back in each gateway's shape), and object-storage,
//! timer and queue events from AWS, Alibaba Cloud FC and Tencent Cloud SCF
//! become one type each, with the platform's own event still reachable.
//! It knows nothing of the runtime's lifecycle, so the in-process handlers
//! and the `light-runtime web` proxy share it.
//!
//! Each view ([`ObjectEvent`](object::ObjectEvent),
//! [`TimerEvent`](timer::TimerEvent), [`Messages`](messages::Messages))
//! implements `Deserialize`: a handler takes it as its event and runs
//! unchanged on every cloud. Handed another trigger's event, it fails with
//! an [`EventError`] naming both ("expected an object-storage event (S3,
//! OSS or COS), got an SQS event"). See `docs/events.md`.
//!
//! # Layout
//! - [`http`]: gateway events ⇄ `http::Request` / `http::Response`.
//! - [`trigger`]: [`Trigger`], which trigger sent an event, told from its shape.
//! - [`error`]: [`EventError`], an event a view cannot read (another trigger's, or malformed).
//! - `source`: reading a view from bytes or from any `Deserializer`.
//! - [`object`]: [`ObjectEvent`](object::ObjectEvent): S3, OSS, COS.
//! - [`timer`]: [`TimerEvent`](timer::TimerEvent): EventBridge schedules, FC and SCF timers.
//! - [`messages`]: [`Messages`](messages::Messages): SQS, Kinesis, DynamoDB Streams, MNS, Kafka, CMQ, CKafka.
//! - [`batch`]: which records of a batch failed, answered each platform's way.
//! - [`aliyun`], [`tencent`]: FC's and SCF's own event types (AWS's are `aws_lambda_events`, re-exported as [`aws`]).
//!
//! # Example
//! ```
//! use light_runtime_events::timer::{TimerEvent, TimerOrigin};
//!
//! // The same function body, whichever cloud's timer fired.
//! fn describe(timer: &TimerEvent) -> String {
//!     format!("{} at {:?}", timer.name.as_deref().unwrap_or("?"), timer.time)
//! }
//!
//! let fc = br#"{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"nightly","payload":"full"}"#;
//! let timer: TimerEvent = serde_json::from_slice(fc)?;
//! assert_eq!(describe(&timer), "nightly at Some(2023-12-26T07:49:00Z)");
//! assert!(matches!(timer.origin(), TimerOrigin::Fc(_)));
//!
//! let wrong = serde_json::from_slice::<TimerEvent>(br#"{"Records":[{"eventSource":"aws:sqs"}]}"#);
//! assert!(wrong.unwrap_err().to_string().contains("got an SQS event"));
//! # Ok::<(), serde_json::Error>(())
//! ```

pub mod aliyun;
pub mod batch;
pub mod error;
pub mod http;
pub mod messages;
pub mod object;
mod source;
pub mod tencent;
pub mod timer;
pub mod trigger;

pub use error::EventError;
pub use trigger::Trigger;

/// AWS's own event types (`aws_lambda_events`), as the views' origins hold them.
pub use aws_lambda_events as aws;
