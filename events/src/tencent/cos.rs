//! The COS trigger's event: `{"Records": [{"cos": .., "event": ..}]}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A COS trigger's event (SCF).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CosEvent {
    /// The notifications; SCF documents one per event.
    #[serde(rename = "Records")]
    pub records: Vec<CosRecord>,
}

/// One COS notification.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CosRecord {
    /// The bucket and the object.
    pub cos: CosEntity,
    /// What happened.
    pub event: CosEventInfo,
}

/// The `cos` part of a notification.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CosEntity {
    /// Schema version.
    #[serde(default)]
    pub cos_schema_version: Option<String>,
    /// The object.
    pub cos_object: CosObject,
    /// The bucket.
    pub cos_bucket: CosBucket,
    /// The notification's id.
    #[serde(default)]
    pub cos_notification_id: Option<String>,
}

/// The object of a COS notification.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CosObject {
    /// The object's URL (`http://<bucket>-<appid>.cos.<region>.myqcloud.com/<key>`).
    #[serde(default)]
    pub url: Option<String>,
    /// The object's metadata headers (`Content-Type`, `x-cos-meta-*`, ...).
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
    /// The version id, empty when versioning is off.
    #[serde(default)]
    pub vid: Option<String>,
    /// The key as COS sends it: `/<appid>/<bucket>/<key>`.
    pub key: String,
    /// Its size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
}

/// The bucket of a COS notification.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CosBucket {
    /// The region's short name (`cd` for Chengdu).
    #[serde(default)]
    pub region: Option<String>,
    /// The bucket's name, without the app id.
    pub name: String,
    /// The owner's app id.
    #[serde(default)]
    pub appid: Option<String>,
}

/// The `event` part of a COS notification.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CosEventInfo {
    /// `cos:ObjectCreated:*`, `cos:ObjectRemove:Delete`, ...
    pub event_name: String,
    /// Schema version.
    #[serde(default)]
    pub event_version: Option<String>,
    /// When it happened, seconds since the epoch.
    #[serde(default)]
    pub event_time: Option<i64>,
    /// Always `qcs::cos`.
    #[serde(default)]
    pub event_source: Option<String>,
    /// `requestParameters` as sent.
    #[serde(default)]
    pub request_parameters: Option<serde_json::Value>,
    /// The queue that delivered it.
    #[serde(default)]
    pub event_queue: Option<String>,
    /// COS's request id.
    #[serde(default)]
    pub reqid: Option<i64>,
}
