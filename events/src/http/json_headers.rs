//! Headers read from an event's JSON straight into a `HeaderMap`, borrowing
//! the names and values from the event: the hot path of an HTTP API
//! request, where going through `aws_lambda_events`' header deserializer
//! (which buffers every value in serde's `Content` first) cost about 15,000
//! instructions per request.

use std::borrow::Cow;
use std::fmt;

use http::{HeaderMap, HeaderName, HeaderValue};
use serde::de::{Error, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A `headers` object (`{"name": "value"}`, or `null`) as a `HeaderMap`.
/// A name or value HTTP cannot carry is an error naming it.
pub(crate) fn deserialize<'de, D>(deserializer: D) -> Result<HeaderMap, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_option(OptionalHeaders)
}

struct OptionalHeaders;

impl<'de> Visitor<'de> for OptionalHeaders {
    type Value = HeaderMap;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of header names to string values, or null")
    }

    fn visit_none<E: Error>(self) -> Result<HeaderMap, E> {
        Ok(HeaderMap::new())
    }

    fn visit_unit<E: Error>(self) -> Result<HeaderMap, E> {
        Ok(HeaderMap::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<HeaderMap, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeaderMap, A::Error> {
        let mut headers = HeaderMap::with_capacity(map.size_hint().unwrap_or(16));
        while let Some((name, value)) = map.next_entry::<Text<'de>, Text<'de>>()? {
            let header = HeaderName::from_bytes(name.0.as_bytes())
                .map_err(|error| A::Error::custom(format!("header `{}`: {error}", name.0)))?;
            let value = HeaderValue::from_str(&value.0)
                .map_err(|error| A::Error::custom(format!("header `{}`: {error}", name.0)))?;
            headers.append(header, value);
        }
        Ok(headers)
    }
}

/// A string, borrowed from the event unless it has escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: Error>(self, text: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: Error>(self, text: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: Error>(self, text: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Event {
        #[serde(default, deserialize_with = "super::deserialize")]
        headers: http::HeaderMap,
    }

    #[test]
    fn headers_are_read_with_escapes_and_null_and_bad_names_are_refused() {
        let event: Event =
            serde_json::from_str(r#"{"headers":{"X-A":"1","x-b":"q\"uote"}}"#).unwrap();
        assert_eq!(event.headers["x-a"], "1");
        assert_eq!(event.headers["x-b"], "q\"uote");
        let event: Event = serde_json::from_str(r#"{"headers":null}"#).unwrap();
        assert!(event.headers.is_empty());
        let error = serde_json::from_str::<Event>(r#"{"headers":{"bad name":"1"}}"#)
            .err()
            .unwrap();
        assert!(error.to_string().contains("header `bad name`"), "{error}");
    }
}
