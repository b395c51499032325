//! The OSS trigger's event: `{"events": [..]}`.

use serde::{Deserialize, Serialize};

/// An OSS trigger's event (FC).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct OssEvent {
    /// The notifications; FC documents one per event.
    pub events: Vec<OssRecord>,
}

/// One OSS notification.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OssRecord {
    /// `ObjectCreated:PutObject`, `ObjectRemoved:DeleteObject`, ...
    pub event_name: String,
    /// Always `acs:oss`.
    pub event_source: String,
    /// When it happened, ISO 8601 (`2022-08-13T06:45:43.000Z`).
    pub event_time: String,
    /// The schema version of the notification.
    #[serde(default)]
    pub event_version: Option<String>,
    /// The bucket and the object.
    pub oss: OssEntity,
    /// The bucket's region (`cn-hangzhou`).
    pub region: String,
    /// `requestParameters` as sent (the caller's address).
    #[serde(default)]
    pub request_parameters: Option<serde_json::Value>,
    /// `responseElements` as sent (OSS's request id).
    #[serde(default)]
    pub response_elements: Option<serde_json::Value>,
    /// `userIdentity` as sent.
    #[serde(default)]
    pub user_identity: Option<serde_json::Value>,
}

/// The `oss` part of a notification.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OssEntity {
    /// The bucket.
    pub bucket: OssBucket,
    /// The object.
    pub object: OssObject,
    /// Schema version of the `oss` part.
    #[serde(default)]
    pub oss_schema_version: Option<String>,
    /// The notification rule that matched.
    #[serde(default)]
    pub rule_id: Option<String>,
}

/// The bucket of an OSS notification.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OssBucket {
    /// The bucket's ARN (`acs:oss:cn-hangzhou:123456789:testbucket`).
    #[serde(default)]
    pub arn: Option<String>,
    /// The bucket's name.
    pub name: String,
    /// The owner's account.
    #[serde(default)]
    pub owner_identity: Option<String>,
}

/// The object of an OSS notification.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OssObject {
    /// The object's key.
    pub key: String,
    /// Its size in bytes (absent on removals).
    #[serde(default)]
    pub size: Option<u64>,
    /// The size change the event made.
    #[serde(default)]
    pub delta_size: Option<i64>,
    /// Its ETag.
    #[serde(rename = "eTag", default)]
    pub e_tag: Option<String>,
}
