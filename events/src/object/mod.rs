//! [`ObjectEvent`]: an object was created or removed in a bucket, from S3
//! (AWS), OSS (FC) or COS (SCF).
//!
//! # Records
//! All three services wrap notifications in an array (`Records`, OSS's
//! `events`) and all three document one notification per event. So
//! [`ObjectEvent`] is one object, and reading an event with several records
//! into it is an error that says so, never a silent drop of the others;
//! [`ObjectEvents`] takes every record, for a function that wants to be
//! safe against batched notifications.
//!
//! ```
//! use light_runtime_events::object::{ObjectEvent, ObjectKind};
//!
//! let oss = br#"{"events":[{"eventName":"ObjectCreated:PutObject","eventSource":"acs:oss",
//!   "eventTime":"2022-08-13T06:45:43.000Z","region":"cn-hangzhou",
//!   "oss":{"bucket":{"name":"photos"},"object":{"key":"a.png","size":5,"eTag":"e1"}}}]}"#;
//! let event = ObjectEvent::from_slice(oss)?;
//! assert_eq!((event.bucket.as_str(), event.key.as_str(), event.kind), ("photos", "a.png", ObjectKind::Created));
//! # Ok::<(), light_runtime_events::EventError>(())
//! ```

mod convert;

use aws_lambda_events::event::s3::S3EventRecord;
use chrono::{DateTime, Utc};

use crate::aliyun::OssRecord;
use crate::error::EventError;
use crate::source::{deserialize_via_read, Source};
use crate::tencent::CosRecord;
use crate::trigger::Trigger;

/// What the notification says happened to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectKind {
    /// Put, posted, copied, uploaded in parts, replicated.
    Created,
    /// Deleted, or hidden behind a delete marker.
    Removed,
    /// Anything else the service notifies (restores, tagging, ...);
    /// [`ObjectEvent::event_name`] says which.
    Other,
}

/// One object-storage notification, the same on every cloud.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ObjectEvent {
    /// The bucket's name.
    pub bucket: String,
    /// The object's key, decoded: S3 sends it URL-encoded, COS prefixed
    /// with `/<appid>/<bucket>/`; here it is the key as it was written.
    pub key: String,
    /// The object's size in bytes, when the service sends it (not on removals).
    pub size: Option<u64>,
    /// The object's ETag, when the service sends it (COS's documented event has none).
    pub etag: Option<String>,
    /// Created, removed or other.
    pub kind: ObjectKind,
    /// The service's own event name (`ObjectCreated:Put`, `cos:ObjectRemove:Delete`).
    pub event_name: String,
    /// When it happened.
    pub time: Option<DateTime<Utc>>,
    /// The bucket's region (`eu-west-1`, `cn-hangzhou`, `ap-chengdu`).
    pub region: Option<String>,
    origin: ObjectOrigin,
}

/// The record an [`ObjectEvent`] was read from, in its platform's own type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ObjectOrigin {
    /// An S3 record (`aws_lambda_events`).
    S3(Box<S3EventRecord>),
    /// An OSS record (FC).
    Oss(Box<OssRecord>),
    /// A COS record (SCF).
    Cos(Box<CosRecord>),
}

/// What [`ObjectEvent`] and [`ObjectEvents`] expect, in their errors.
const EXPECTED: &str = "an object-storage event (S3, OSS or COS)";

impl ObjectEvent {
    /// Reads a notification from its JSON, whichever cloud sent it.
    pub fn from_slice(json: &[u8]) -> Result<Self, EventError> {
        Self::read(json)
    }

    /// The platform's own record this view was read from.
    pub fn origin(&self) -> &ObjectOrigin {
        &self.origin
    }

    /// The platform's own record, owned.
    pub fn into_origin(self) -> ObjectOrigin {
        self.origin
    }

    fn read(source: impl Source) -> Result<Self, EventError> {
        let mut events = ObjectEvents::read(source)?.events;
        match events.len() {
            1 => Ok(events.remove(0)),
            n => Err(EventError::count(EXPECTED, n)),
        }
    }
}

/// Every record of an object-storage notification.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ObjectEvents {
    /// The records, in the order the service sent them.
    pub events: Vec<ObjectEvent>,
}

impl ObjectEvents {
    /// Reads a notification from its JSON, whichever cloud sent it.
    pub fn from_slice(json: &[u8]) -> Result<Self, EventError> {
        Self::read(json)
    }

    fn read(source: impl Source) -> Result<Self, EventError> {
        let seen = source.trigger();
        let events = match seen {
            Trigger::S3 => convert::from_s3(source.parse(&seen)?),
            Trigger::Oss => convert::from_oss(source.parse(&seen)?),
            Trigger::Cos => convert::from_cos(source.parse(&seen)?),
            other => return Err(EventError::mismatch(EXPECTED, other)),
        };
        Ok(ObjectEvents { events })
    }
}

impl IntoIterator for ObjectEvents {
    type Item = ObjectEvent;
    type IntoIter = std::vec::IntoIter<ObjectEvent>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.into_iter()
    }
}

deserialize_via_read!(ObjectEvent);
deserialize_via_read!(ObjectEvents);
