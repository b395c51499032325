//! A streamed response on the Runtime API (reference 1.8): one
//! `POST .../response` with `Lambda-Runtime-Function-Response-Mode:
//! streaming`, its body in HTTP/1.1 chunks as the function yields them,
//! and, when the stream fails midway, the error in the
//! `Lambda-Runtime-Function-Error-Type` / `-Error-Body` trailers (declared
//! up front). That post is the invocation's one answer: nothing follows it.
//!
//! A stream that fails before its first byte is answered on `/error`, as
//! Lambda asks. An HTTP function's stream (status and headers set) goes out
//! as `application/vnd.awslambda.http-integration-response`: a JSON prelude
//! with the status, headers and cookies, eight NUL bytes, then the body.
//! That framing is known from AWS's own runtimes' code only (reference 1.8
//! item 6); its specification page was not found, so it is unconfirmed.

use base64::Engine as _;
use bytes::Bytes;
use http::header::SET_COOKIE;
use runtime_engine::{InvocationError, Outcome, Response, ResponseStream};

/// The largest streamed response sent; past it the stream is cut with a
/// `Function.ResponseSizeTooLarge` error in the trailers. Lambda's limit
/// for streamed responses is 200 MB by default (reference 1.7; it was a
/// 20 MB soft limit before 2025-07).
pub(crate) const STREAMED_LIMIT: u64 = 200 * 1024 * 1024;

/// The trailers a streamed post declares.
pub(crate) const ERROR_TYPE_TRAILER: &str = "Lambda-Runtime-Function-Error-Type";
/// See [`ERROR_TYPE_TRAILER`].
pub(crate) const ERROR_BODY_TRAILER: &str = "Lambda-Runtime-Function-Error-Body";

/// The content type of an HTTP function's streamed response.
const HTTP_INTEGRATION: &str = "application/vnd.awslambda.http-integration-response";

/// What goes before the body: the `Content-Type` header to send and, for
/// an HTTP function, the prelude (JSON, then eight NUL bytes).
pub(crate) fn head(response: &Response) -> (&'static str, Option<Bytes>) {
    let (Some(status), Some(headers)) = (response.status(), response.headers()) else {
        return (response.content_type(), None);
    };
    let mut fields = serde_json::Map::new();
    let mut cookies = Vec::new();
    for name in headers.keys() {
        let values = headers.get_all(name).iter().filter_map(|v| v.to_str().ok());
        if name == SET_COOKIE {
            cookies.extend(values.map(str::to_owned));
        } else {
            let joined = values.collect::<Vec<_>>().join(", ");
            fields.insert(name.as_str().to_owned(), joined.into());
        }
    }
    let prelude = serde_json::json!({
        "statusCode": status.as_u16(),
        "headers": fields,
        "cookies": cookies,
    });
    let mut bytes = serde_json::to_vec(&prelude).unwrap_or_else(|_| b"{}".to_vec());
    bytes.extend_from_slice(&[0; 8]);
    (HTTP_INTEGRATION, Some(Bytes::from(bytes)))
}

/// The error trailers for `outcome`, empty when it is a response.
pub(crate) fn trailers(outcome: &Outcome) -> Vec<(&'static str, String)> {
    let Outcome::Error(error) = outcome else {
        return Vec::new();
    };
    let body = super::error_body::for_invocation(error);
    vec![
        (
            ERROR_TYPE_TRAILER,
            super::error_body::header_type(error.error_type()),
        ),
        (
            ERROR_BODY_TRAILER,
            base64::engine::general_purpose::STANDARD.encode(body),
        ),
    ]
}

/// The error that cuts a stream that has grown past `limit`, if it has.
pub(crate) fn over_limit(stream: &ResponseStream, limit: u64) -> Option<InvocationError> {
    (stream.sent() > limit).then(|| {
        InvocationError::runtime(
            "Function.ResponseSizeTooLarge",
            format!(
                "the streamed response reached {} bytes, past Lambda's {limit}-byte limit; \
                 the rest was not sent",
                stream.sent()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_functions_get_a_prelude_and_events_their_content_type() {
        let response = http::Response::builder()
            .status(201)
            .header("content-type", "text/html")
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .header("x-many", "1")
            .header("x-many", "2")
            .body(http_body_util::Empty::<Bytes>::new())
            .unwrap();
        let (content_type, prelude) = head(&Response::from_http_body(response));
        assert_eq!(content_type, HTTP_INTEGRATION);
        let prelude = prelude.unwrap();
        let (json, nuls) = prelude.split_at(prelude.len() - 8);
        assert_eq!(nuls, [0; 8]);
        let json: serde_json::Value = serde_json::from_slice(json).unwrap();
        assert_eq!(json["statusCode"], 201);
        assert_eq!(json["headers"]["content-type"], "text/html");
        assert_eq!(json["headers"]["x-many"], "1, 2");
        assert_eq!(json["cookies"], serde_json::json!(["a=1", "b=2"]));

        let event = Response::json("{}");
        assert_eq!(head(&event), ("application/json", None));
    }

    #[tokio::test]
    async fn a_stream_past_the_limit_is_cut_with_a_size_error() {
        let body = http_body_util::Full::new(Bytes::from_static(b"0123456789"));
        let response = Response::from_http_body(http::Response::new(body));
        let mut stream = response.take_stream().unwrap();
        assert!(over_limit(&stream, 10).is_none());
        stream.next_chunk().await.unwrap().unwrap();
        assert!(over_limit(&stream, 10).is_none(), "at the limit is allowed");
        let error = over_limit(&stream, 9).expect("one byte over");
        assert_eq!(error.error_type(), "Function.ResponseSizeTooLarge");
        assert!(error.message().contains("10 bytes"), "{error}");
    }

    #[test]
    fn errors_go_in_the_trailers_base64_encoded() {
        assert!(trailers(&Outcome::Response(Response::json("{}"))).is_empty());
        let error = InvocationError::handler("IoError", "disk gone");
        let trailers = trailers(&Outcome::Error(error));
        assert_eq!(trailers[0], (ERROR_TYPE_TRAILER, "Function.IoError".into()));
        let body = base64::engine::general_purpose::STANDARD
            .decode(&trailers[1].1)
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["errorMessage"], "disk gone");
    }
}
