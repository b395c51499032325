//! gRPC's message framing and status, the part of gRPC an OTLP export
//! needs: one unary call, `Export`, whose request and answer are each one
//! length-prefixed message.

use std::io::Read;

use http::HeaderMap;
use percent_encoding::percent_decode_str;

/// `body` (already gzip-compressed when `compressed`) with gRPC's
/// five-byte prefix: the compressed flag and the big-endian length.
pub(crate) fn frame(body: &[u8], compressed: bool) -> Result<Vec<u8>, String> {
    let length = u32::try_from(body.len())
        .map_err(|_| format!("a {} byte gRPC message is too large", body.len()))?;
    let mut framed = Vec::with_capacity(body.len() + 5);
    framed.push(u8::from(compressed));
    framed.extend_from_slice(&length.to_be_bytes());
    framed.extend_from_slice(body);
    Ok(framed)
}

/// The message of an answer's body (empty if there is none), inflated if
/// its flag says it is compressed.
pub(crate) fn unframe(body: &[u8]) -> Result<Vec<u8>, String> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    let Some((head, rest)) = body.split_at_checked(5) else {
        return Err(format!(
            "a gRPC answer of {} bytes is cut short",
            body.len()
        ));
    };
    let length = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let message = rest
        .get(..length)
        .ok_or_else(|| format!("a gRPC answer says {length} bytes but has {}", rest.len()))?;
    if head[0] == 0 {
        return Ok(message.to_vec());
    }
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(message)
        .read_to_end(&mut inflated)
        .map_err(|error| format!("a compressed gRPC answer did not inflate: {error}"))?;
    Ok(inflated)
}

/// `Err` with the status and message unless `grpc-status` (in the
/// trailers, or the headers of a trailers-only answer) is `0`.
pub(crate) fn status(headers: &HeaderMap, trailers: Option<&HeaderMap>) -> Result<(), String> {
    let field = |name: &str| {
        trailers
            .and_then(|t| t.get(name))
            .or_else(|| headers.get(name))
            .and_then(|v| v.to_str().ok())
    };
    match field("grpc-status") {
        Some("0") => Ok(()),
        Some(code) => {
            let message = field("grpc-message")
                .map(|m| percent_decode_str(m).decode_utf8_lossy().into_owned())
                .unwrap_or_default();
            Err(format!(
                "gRPC status {code}{}{message}",
                if message.is_empty() { "" } else { ": " }
            ))
        }
        None => Err("the answer has no grpc-status".into()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn frames_round_trip_and_compressed_answers_inflate() {
        let framed = frame(b"hello", false).unwrap();
        assert_eq!(framed, [0, 0, 0, 0, 5, b'h', b'e', b'l', b'l', b'o']);
        assert_eq!(unframe(&framed).unwrap(), b"hello");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"inflated").unwrap();
        let compressed = frame(&gz.finish().unwrap(), true).unwrap();
        assert_eq!(compressed[0], 1);
        assert_eq!(unframe(&compressed).unwrap(), b"inflated");
        assert_eq!(unframe(b"").unwrap(), b"");
        assert!(unframe(&[0, 0, 0]).unwrap_err().contains("cut short"));
        assert!(unframe(&[0, 0, 0, 0, 9, 1])
            .unwrap_err()
            .contains("says 9 bytes"));
    }

    #[test]
    fn a_status_other_than_zero_is_an_error_with_its_message() {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", "0".parse().unwrap());
        assert_eq!(status(&HeaderMap::new(), Some(&trailers)), Ok(()));
        let mut headers = HeaderMap::new();
        headers.insert("grpc-status", "16".parse().unwrap());
        headers.insert("grpc-message", "bad%20key".parse().unwrap());
        assert_eq!(
            status(&headers, None),
            Err("gRPC status 16: bad key".to_owned())
        );
        assert!(status(&HeaderMap::new(), None)
            .unwrap_err()
            .contains("no grpc-status"));
    }
}
