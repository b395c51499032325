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
        let raw = match &self.repr {
            Repr::Raw(block) => std::str::from_utf8(block).ok(),
            _ => None,
        };
        let raw_iter = raw.into_iter().flat_map(|text| {
            text.split("\r\n").filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                Some((name.trim(), value.trim()))
            })
        });
        let map_iter = match &self.repr {
            Repr::Map(map) => Some(
                map.iter()
                    .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?))),
            ),
            _ => None,
        };
        raw_iter.chain(map_iter.into_iter().flatten())
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
}
