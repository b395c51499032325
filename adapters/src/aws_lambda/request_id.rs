//! Request ids as the Runtime API hands them out, checked before they go
//! into a request path.
//!
//! Lambda's ids are UUIDs; the contract only says the id from
//! `Lambda-Runtime-Aws-Request-Id` goes into `/runtime/invocation/{id}/...`.
//! An id is accepted as is when it is 1 to [`MAX_LEN`] bytes of RFC 3986
//! unreserved characters (`A-Z a-z 0-9 - . _ ~`) and not a dot segment
//! (`.` or `..`). Anything else is refused (the function does not run) and
//! the refusal is posted to the id's percent-encoded path, which no
//! platform input can turn into another path or a broken request line.

use std::borrow::Cow;
use std::fmt::Write;

/// The longest id accepted: well over a UUID's 36 bytes.
pub(crate) const MAX_LEN: usize = 256;

/// Why `id` cannot go into a path as is, or `None` if it can.
pub(crate) fn problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("the request id is empty".into());
    }
    if id.len() > MAX_LEN {
        return Some(format!(
            "the request id is {} bytes long, over the {MAX_LEN}-byte limit",
            id.len()
        ));
    }
    if id == "." || id == ".." {
        return Some(format!("the request id {id:?} is a path dot segment"));
    }
    id.bytes()
        .find(|&b| !is_unreserved(b))
        .map(|b| format!("the request id {id:?} holds {:?}, which is not allowed in a request id (only A-Z a-z 0-9 - . _ ~)", b as char))
}

/// `id` as one path segment: unreserved bytes as they are, every other
/// byte as `%XX`, and dots too when the id is a dot segment, so the result
/// is always one segment of visible ASCII that names no other path. A
/// plain id (every id Lambda sends) is borrowed, not copied.
pub(crate) fn path_segment(id: &str) -> Cow<'_, str> {
    let dot_segment = id == "." || id == "..";
    if !dot_segment && id.bytes().all(is_unreserved) {
        return Cow::Borrowed(id);
    }
    let mut segment = String::with_capacity(id.len() * 3);
    for byte in id.bytes() {
        if is_unreserved(byte) && !(dot_segment && byte == b'.') {
            segment.push(byte as char);
        } else {
            let _ = write!(segment, "%{byte:02X}");
        }
    }
    Cow::Owned(segment)
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_pass_and_path_characters_do_not() {
        assert_eq!(problem("8476a536-e9f4-11e8-9739-2dfe598c3fcd"), None);
        assert_eq!(path_segment("8476a536-e9f4-11e8"), "8476a536-e9f4-11e8");
        for bad in ["", ".", "..", "a/b", "../init", "a b", "tab\t", "é", "%2e"] {
            assert!(problem(bad).is_some(), "{bad:?}");
        }
        assert_eq!(path_segment(".."), "%2E%2E");
        assert_eq!(path_segment("a/../b c"), "a%2F..%2Fb%20c");
        assert!(problem(&"a".repeat(MAX_LEN + 1)).is_some());
    }

    /// A seeded fuzz loop: any string's path segment is one segment of
    /// unreserved characters and `%XX`, never a dot segment, and a valid
    /// id's segment is the id itself. `LIGHT_RUNTIME_FUZZ_CASES` sets the
    /// number of cases (default 20 000, a fraction of a second).
    #[test]
    fn fuzz_request_ids() {
        let cases = fuzz_cases(20_000);
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            // xorshift64*: deterministic, no dependency.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        const PIECES: [&str; 12] = [
            ".", "..", "/", "%", " ", "\r\n", "\0", "é", "a", "-", "~", "\u{7f}",
        ];
        for _ in 0..cases {
            let mut id = String::new();
            for _ in 0..(next() % 12) {
                let roll = next();
                if roll % 3 == 0 {
                    id.push_str(PIECES[(roll >> 8) as usize % PIECES.len()]);
                } else if let Some(c) = char::from_u32((roll >> 8) as u32 % 0x250) {
                    id.push(c);
                }
            }
            let segment = path_segment(&id);
            assert!(
                segment.bytes().all(|b| is_unreserved(b) || b == b'%'),
                "{id:?} -> {segment:?}"
            );
            assert!(segment != "." && segment != "..", "{id:?}");
            if problem(&id).is_none() {
                assert_eq!(segment, id);
            }
        }
    }

    fn fuzz_cases(default: u64) -> u64 {
        std::env::var("LIGHT_RUNTIME_FUZZ_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(default)
    }
}
