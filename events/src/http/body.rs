//! Bodies both ways: base64 in when the gateway says so, and out as text or
//! base64 by the response's `Content-Type` and `Content-Encoding`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use http::HeaderMap;

use super::{Gateway, GatewayEventError};

/// The request body: `body` decoded from base64 when `is_base64_encoded`,
/// else its UTF-8 bytes; empty when absent.
pub(crate) fn request_body(
    gateway: Gateway,
    body: Option<String>,
    is_base64_encoded: bool,
) -> Result<Bytes, GatewayEventError> {
    match body {
        None => Ok(Bytes::new()),
        Some(body) if is_base64_encoded => STANDARD
            .decode(body.as_bytes())
            .map(Bytes::from)
            .map_err(|error| GatewayEventError::base64(gateway, error)),
        Some(body) => Ok(Bytes::from(body)),
    }
}

/// Content types sent as text; anything else (images, archives, an
/// unknown `application/*`) goes base64 so no byte is lost.
const TEXT_PREFIXES: [&str; 5] = [
    "text",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/yaml",
];
const TEXT_SUFFIXES: [&str; 3] = ["+xml", "+yaml", "+json"];

/// Whether a response with `headers` is sent as text: no
/// `Content-Encoding` (a gzip body is binary whatever its type), and no
/// `Content-Type` or a textual one. The same rule as `lambda_http`.
pub(crate) fn is_text(headers: &HeaderMap) -> bool {
    if headers.contains_key(CONTENT_ENCODING) {
        return false;
    }
    let Some(content_type) = headers.get(CONTENT_TYPE) else {
        return true;
    };
    let content_type = content_type.to_str().unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    TEXT_PREFIXES
        .iter()
        .any(|prefix| content_type.starts_with(prefix))
        || TEXT_SUFFIXES.iter().any(|suffix| essence.ends_with(suffix))
}

/// The response body as the gateways carry it: `(body, is_base64_encoded)`.
/// Text that is not valid UTF-8 is decoded lossily, as `lambda_http` does
/// for a UTF-8 charset.
pub(crate) fn response_body(headers: &HeaderMap, body: &[u8]) -> (String, bool) {
    if is_text(headers) {
        (String::from_utf8_lossy(body).into_owned(), false)
    } else {
        (STANDARD.encode(body), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn text_types_stay_text_and_the_rest_goes_base64() {
        assert!(is_text(&headers(&[])));
        assert!(is_text(&headers(&[(
            "content-type",
            "text/html; charset=utf-8"
        )])));
        assert!(is_text(&headers(&[("content-type", "application/json")])));
        assert!(is_text(&headers(&[(
            "content-type",
            "application/problem+json"
        )])));
        assert!(is_text(&headers(&[(
            "content-type",
            "image/svg+xml; charset=utf-8"
        )])));
        assert!(!is_text(&headers(&[("content-type", "image/png")])));
        assert!(!is_text(&headers(&[(
            "content-type",
            "application/octet-stream"
        )])));
        assert!(!is_text(&headers(&[
            ("content-type", "application/json"),
            ("content-encoding", "gzip")
        ])));
        assert_eq!(
            response_body(&headers(&[("content-type", "image/png")]), &[0x89, b'P']),
            ("iVA=".to_owned(), true)
        );
    }

    #[test]
    fn a_body_that_says_base64_and_is_not_is_an_error_naming_the_gateway() {
        let error =
            request_body(Gateway::ApiGatewayHttp, Some("not base64!".into()), true).unwrap_err();
        assert!(
            error.to_string().contains("API Gateway HTTP API"),
            "{error}"
        );
        assert!(error.to_string().contains("isBase64Encoded"), "{error}");
        assert_eq!(
            request_body(Gateway::ApiGatewayHttp, Some("aGk=".into()), true).unwrap(),
            "hi"
        );
    }
}
