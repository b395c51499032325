//! [`CloudEvent`]: the attributes of a CloudEvent delivered over HTTP, in
//! binary mode (`ce-*` headers, body = data) or structured mode
//! (`Content-Type: application/cloudevents+json`, body = the whole event).
//! Reference 4.1, after the CloudEvents HTTP protocol binding.

use base64::Engine as _;
use bytes::Bytes;
use http::HeaderMap;

/// A CloudEvent's attributes; the handler's event is its `data`.
///
/// The adapter puts it in the context's extensions:
/// `ctx.extensions().get::<CloudEvent>()`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloudEvent {
    /// `id`: unique per `source`; also the invocation's request id.
    pub id: String,
    /// `source`: the context the event happened in.
    pub source: String,
    /// `type`: what happened, e.g. `com.example.order.created`.
    pub event_type: String,
    /// `specversion`, `1.0` today.
    pub spec_version: String,
    /// `subject`, if set.
    pub subject: Option<String>,
    /// `time` (RFC 3339), if set.
    pub time: Option<String>,
    /// `datacontenttype`, if set (binary mode: the `Content-Type`).
    pub data_content_type: Option<String>,
    /// `dataschema`, if set.
    pub data_schema: Option<String>,
    /// Extension attributes, by name.
    pub extensions: Vec<(String, String)>,
}

/// Why a request that claims to be a CloudEvent is not one.
pub(crate) type Malformed = String;

/// Whether the request is in structured mode.
pub(crate) fn is_structured(headers: &HeaderMap) -> bool {
    content_type(headers).is_some_and(|t| t.starts_with("application/cloudevents+json"))
}

/// Whether the request is in binary mode (it has `ce-*` attributes).
pub(crate) fn is_binary(headers: &HeaderMap) -> bool {
    headers.contains_key("ce-specversion") || headers.contains_key("ce-id")
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(http::header::CONTENT_TYPE)?.to_str().ok()
}

const REQUIRED: [&str; 4] = ["id", "source", "type", "specversion"];

/// Binary mode: attributes from `ce-*` headers; the body is the data.
pub(crate) fn from_binary(headers: &HeaderMap) -> Result<CloudEvent, Malformed> {
    let mut attributes = Vec::new();
    for (name, value) in headers {
        if let Some(attribute) = name.as_str().strip_prefix("ce-") {
            let value = value
                .to_str()
                .map_err(|_| format!("CloudEvent header ce-{attribute} is not visible ASCII"))?;
            attributes.push((attribute.to_owned(), value.to_owned()));
        }
    }
    let mut event = build(attributes, "header ce-")?;
    event.data_content_type = content_type(headers).map(str::to_owned);
    Ok(event)
}

/// Structured mode: the body is the event as JSON; returns the attributes
/// and the data (`data` as JSON, or `data_base64` decoded).
pub(crate) fn from_structured(body: &[u8]) -> Result<(CloudEvent, Bytes), Malformed> {
    let serde_json::Value::Object(mut object) = serde_json::from_slice(body)
        .map_err(|e| format!("the structured CloudEvent is not JSON: {e}"))?
    else {
        return Err("the structured CloudEvent is not a JSON object".into());
    };
    let data = object.remove("data");
    let data_base64 = object.remove("data_base64");
    let mut attributes = Vec::new();
    for (name, value) in object {
        let text = match value {
            serde_json::Value::String(text) => text,
            serde_json::Value::Null => continue,
            other => other.to_string(),
        };
        attributes.push((name, text));
    }
    let event = build(attributes, "attribute ")?;
    let data = match (data, data_base64) {
        (_, Some(serde_json::Value::String(encoded))) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map(Bytes::from)
            .map_err(|e| format!("data_base64 of the CloudEvent is not base64: {e}"))?,
        (Some(serde_json::Value::String(text)), None) if !is_json(&event) => Bytes::from(text),
        (Some(value), None) => Bytes::from(value.to_string()),
        (None, None) => Bytes::from_static(b"null"),
        (_, Some(_)) => return Err("data_base64 of the CloudEvent is not a string".into()),
    };
    Ok((event, data))
}

fn is_json(event: &CloudEvent) -> bool {
    event
        .data_content_type
        .as_deref()
        .is_none_or(|t| t.starts_with("application/json") || t.contains("+json"))
}

fn build(attributes: Vec<(String, String)>, origin: &str) -> Result<CloudEvent, Malformed> {
    let find = |name: &str| {
        attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if let Some(missing) = REQUIRED
        .iter()
        .find(|name| find(name).is_none_or(|v| v.is_empty()))
    {
        return Err(format!(
            "the CloudEvent has no {origin}{missing}; id, source, type and specversion are required"
        ));
    }
    let known = [
        "id",
        "source",
        "type",
        "specversion",
        "subject",
        "time",
        "datacontenttype",
        "dataschema",
    ];
    Ok(CloudEvent {
        id: find("id").unwrap_or_default(),
        source: find("source").unwrap_or_default(),
        event_type: find("type").unwrap_or_default(),
        spec_version: find("specversion").unwrap_or_default(),
        subject: find("subject"),
        time: find("time"),
        data_content_type: find("datacontenttype"),
        data_schema: find("dataschema"),
        extensions: attributes
            .into_iter()
            .filter(|(n, _)| !known.contains(&n.as_str()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_events_give_attributes_and_data() {
        let body = br#"{"specversion":"1.0","id":"e-1","source":"/orders","type":"order.created",
            "subject":"42","traceparent":"x","data":{"sku":"tea"}}"#;
        let (event, data) = from_structured(body).unwrap();
        assert_eq!(event.id, "e-1");
        assert_eq!(event.subject.as_deref(), Some("42"));
        assert_eq!(
            event.extensions,
            [("traceparent".to_owned(), "x".to_owned())]
        );
        assert_eq!(&data[..], br#"{"sku":"tea"}"#);
        let encoded =
            br#"{"specversion":"1.0","id":"e","source":"s","type":"t","data_base64":"aGk="}"#;
        assert_eq!(&from_structured(encoded).unwrap().1[..], b"hi");
        let error = from_structured(br#"{"specversion":"1.0","id":"e","type":"t"}"#).unwrap_err();
        assert!(error.contains("no attribute source"), "{error}");
    }

    #[test]
    fn binary_events_need_the_four_required_headers() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("ce-id", "1"),
            ("ce-source", "s"),
            ("ce-specversion", "1.0"),
        ] {
            headers.insert(name, value.parse().unwrap());
        }
        assert!(from_binary(&headers)
            .unwrap_err()
            .contains("header ce-type"));
        headers.insert("ce-type", "t".parse().unwrap());
        headers.insert("ce-partition", "p".parse().unwrap());
        let event = from_binary(&headers).unwrap();
        assert_eq!(event.extensions, [("partition".to_owned(), "p".to_owned())]);
    }

    #[test]
    fn fuzz_cloudevents() {
        const KNOWN: &[&str] = &[
            "ce-id",
            "ce-source",
            "ce-type",
            "ce-specversion",
            "ce-subject",
            "ce-time",
            "ce-dataschema",
            "ce-partition",
            "content-type",
        ];
        const TYPICAL: &[&str] = &[
            "1.0",
            "e-1",
            "/orders",
            "application/json",
            r#"{"specversion":"1.0","id":"e","source":"s","type":"t","data":{"a":[1,2]}}"#,
            r#"{"specversion":"1.0","id":"e","source":"s","type":"t","data_base64":"aGk="}"#,
            r#"{"specversion":"1.0","id":"","source":"s","type":"t","data_base64":"!!"}"#,
            r#"{"specversion":"0.3","id":"e","source":"s","type":"t","x":{"y":null}}"#,
        ];
        crate::push_server::fuzz_cases::run("cloudevents", |input| {
            let headers = crate::push_server::fuzz_cases::headers(input, KNOWN, TYPICAL);
            let _ = is_structured(&headers);
            if is_binary(&headers) {
                if let Ok(event) = from_binary(&headers) {
                    assert!(!event.id.is_empty() || headers.contains_key("ce-id"));
                }
            }
            let body = crate::push_server::fuzz_cases::text(input, TYPICAL);
            if let Ok((event, _data)) = from_structured(&body) {
                assert!(
                    !event.spec_version.is_empty() || body.windows(11).any(|w| w == b"specversion")
                );
            }
        });
    }
}
