//! How tests read a recorded HTTP message, whichever emulator or client
//! recorded it: a header by name, the body as JSON.

/// The first value of header `name` in `headers` (case-insensitive).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `body` parsed as JSON, if it is JSON.
pub fn body_json(body: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice(body).ok()
}
