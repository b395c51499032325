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
//! # Layout
//! - [`http`]: gateway events ⇄ `http::Request` / `http::Response`.
//! - [`object`]: [`ObjectEvent`](object::ObjectEvent): S3, OSS, COS.
//! - [`timer`]: [`TimerEvent`](timer::TimerEvent): EventBridge schedules, FC and SCF timers.
//! - [`messages`]: [`Messages`](messages::Messages): SQS, Kinesis, DynamoDB Streams, MNS, Kafka, CMQ, CKafka.
//! - [`batch`]: which records of a batch failed, answered each platform's way.

pub mod batch;
pub mod http;
pub mod messages;
pub mod object;
pub mod timer;
