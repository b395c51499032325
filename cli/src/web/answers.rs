//! The answers web mode gives in the app's place (`502` when the app
//! exited, `503` when it is stopped), and the headers it keeps out of
//! every answer.

use bytes::Bytes;
use http::header::{HeaderMap, CONNECTION, CONTENT_TYPE, TRANSFER_ENCODING, UPGRADE};
use http::StatusCode;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use light_runtime::BoxError;

/// The body of the answers web mode gives: the app's, streamed, or its own.
pub(crate) type AnswerBody = UnsyncBoxBody<Bytes, BoxError>;

/// Hop-by-hop headers: they describe one connection, not the message, and
/// a gateway's response JSON must not carry them.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Most messages have none: one pass over the names costs less than a
    // hashed removal of each.
    if !headers.keys().any(is_hop_by_hop) {
        return;
    }
    for name in [CONNECTION, TRANSFER_ENCODING, UPGRADE] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
}

fn is_hop_by_hop(name: &http::HeaderName) -> bool {
    name == CONNECTION
        || name == TRANSFER_ENCODING
        || name == UPGRADE
        || name == "keep-alive"
        || name == "proxy-connection"
}

/// `502 Bad Gateway` with `message` as its plain-text body.
pub(crate) fn bad_gateway(message: &str) -> http::Response<AnswerBody> {
    plain(StatusCode::BAD_GATEWAY, message)
}

/// `status` with `message` (and a newline) as its plain-text body.
pub(crate) fn plain(status: StatusCode, message: &str) -> http::Response<AnswerBody> {
    let mut response = http::Response::new(whole(Bytes::from(format!("{message}\n"))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `bytes` as an answer's body.
pub(crate) fn whole(bytes: Bytes) -> AnswerBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_go_and_the_others_stay() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1);
        headers.insert(CONNECTION, "keep-alive".parse().unwrap());
        headers.insert("keep-alive", "timeout=5".parse().unwrap());
        headers.insert(TRANSFER_ENCODING, "chunked".parse().unwrap());
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.keys().collect::<Vec<_>>(), [CONTENT_TYPE]);
    }
}
