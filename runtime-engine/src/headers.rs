//! The platform's raw request headers, kept as an escape hatch.

use bytes::Bytes;
use std::sync::Arc;

use http::HeaderMap;

/// The headers the platform sent with an invocation, untouched.
///
/// Pull adapters keep the raw header block they read (no copy, parsed only
/// when asked); push adapters keep hyper's `HeaderMap`.
#[derive(Clone, Debug, Default)]
pub struct PlatformHeaders {
    repr: Repr,
}

#[derive(Clone, Debug, Default)]
enum Repr {
    #[default]
    Empty,
    /// `Name: value\r\n` lines, as received (status line excluded).
    Raw(Bytes),
    Map(HeaderMap),
    /// The headers of an HTTP request the function also sees as
    /// [`Context::http_request`](crate::Context::http_request): shared, not copied.
    Request(Arc<http::request::Parts>),
}

impl PlatformHeaders {
    /// No headers.
    pub const fn empty() -> Self {
        PlatformHeaders { repr: Repr::Empty }
    }

    /// Headers from a raw HTTP/1.1 header block (`Name: value\r\n` lines).
    pub fn from_raw(block: Bytes) -> Self {
        PlatformHeaders {
            repr: Repr::Raw(block),
        }
    }

    /// The headers of a request whose parts the context also keeps.
    pub fn from_request_parts(parts: Arc<http::request::Parts>) -> Self {
        PlatformHeaders {
            repr: Repr::Request(parts),
        }
    }

    /// Headers from a parsed map.
    pub fn from_map(map: HeaderMap) -> Self {
        PlatformHeaders {
            repr: Repr::Map(map),
        }
    }

    /// The first value of header `name` (case-insensitive), if present and UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        match &self.repr {
            Repr::Empty => None,
            Repr::Map(map) => map.get(name).and_then(|v| v.to_str().ok()),
            Repr::Request(parts) => parts.headers.get(name).and_then(|v| v.to_str().ok()),
            Repr::Raw(_) => self
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v),
        }
    }

    /// Every header as `(name, value)`, in the order received; values that
    /// are not UTF-8 are skipped.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let (raw, map) = match &self.repr {
            Repr::Empty => (None, None),
            Repr::Raw(block) => (std::str::from_utf8(block).ok(), None),
            Repr::Map(map) => (None, Some(map)),
            Repr::Request(parts) => (None, Some(&parts.headers)),
        };
        let raw_lines = raw.into_iter().flat_map(|text| {
            text.split("\r\n").filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                Some((name.trim(), value.trim()))
            })
        });
        let map_entries = map.into_iter().flat_map(|map| {
            map.iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        });
        raw_lines.chain(map_entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_block_is_searched_case_insensitively() {
        let headers = PlatformHeaders::from_raw(Bytes::from_static(
            b"Lambda-Runtime-Aws-Request-Id: abc\r\nContent-Length: 2\r\n",
        ));
        assert_eq!(headers.get("lambda-runtime-aws-request-id"), Some("abc"));
        assert_eq!(headers.iter().count(), 2);
        assert_eq!(headers.get("missing"), None);
    }

    fn two_headers() -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("x-fc-request-id", "abc".parse().unwrap());
        map.insert("content-type", "application/json".parse().unwrap());
        map
    }

    fn sorted(headers: &PlatformHeaders) -> Vec<(&str, &str)> {
        let mut all: Vec<_> = headers.iter().collect();
        all.sort();
        all
    }

    #[test]
    fn every_representation_iterates_its_headers() {
        let expected = [
            ("content-type", "application/json"),
            ("x-fc-request-id", "abc"),
        ];
        let raw = PlatformHeaders::from_raw(Bytes::from_static(
            b"x-fc-request-id: abc\r\ncontent-type: application/json\r\n",
        ));
        let map = PlatformHeaders::from_map(two_headers());
        let mut request = http::Request::new(());
        *request.headers_mut() = two_headers();
        let (parts, ()) = request.into_parts();
        let request = PlatformHeaders::from_request_parts(Arc::new(parts));
        for (form, headers) in [("raw", &raw), ("map", &map), ("request parts", &request)] {
            assert_eq!(sorted(headers), expected, "{form}");
            assert_eq!(headers.get("X-FC-Request-Id"), Some("abc"), "{form}");
        }
        assert_eq!(PlatformHeaders::empty().iter().count(), 0);
    }
}
