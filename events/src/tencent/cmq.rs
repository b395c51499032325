//! The CMQ topic trigger's event: `{"Records": [{"CMQ": ..}]}`.

use serde::de::Deserializer;
use serde::{Deserialize, Serialize};

/// A CMQ topic trigger's event (SCF).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CmqEvent {
    /// The messages; SCF may merge several into one event.
    #[serde(rename = "Records")]
    pub records: Vec<CmqRecord>,
}

/// One record of a CMQ event.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CmqRecord {
    /// The message.
    #[serde(rename = "CMQ")]
    pub cmq: CmqMessage,
}

/// A CMQ message.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CmqMessage {
    /// `topic`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The topic owner's account.
    #[serde(default)]
    pub topic_owner: Option<serde_json::Value>,
    /// The topic's name.
    #[serde(default)]
    pub topic_name: Option<String>,
    /// The subscription's name.
    #[serde(default)]
    pub subscription_name: Option<String>,
    /// When it was published, RFC 3339.
    #[serde(default)]
    pub publish_time: Option<String>,
    /// The message id.
    pub msg_id: String,
    /// CMQ's request id.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The body.
    pub msg_body: String,
    /// The message's tags. SCF's page shows a comma-separated string, the
    /// Serverless Framework's copy of it an array; both are read.
    #[serde(default, deserialize_with = "tags")]
    pub msg_tag: Vec<String>,
}

fn tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Tags {
        Text(String),
        List(Vec<String>),
    }
    Ok(match Option::<Tags>::deserialize(d)? {
        None => Vec::new(),
        Some(Tags::List(list)) => list,
        Some(Tags::Text(text)) => text
            .split(',')
            .filter(|tag| !tag.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}
