//! Error JSON both ways: what the child reports on `/error` and
//! `/init/error` (reference 1.6), and the Runtime API's own refusals.

use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use super::runtime_api::{read_bounded, Body, BodyError, MAX_RESPONSE};

/// The header a client may name the error type in.
const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";

/// An error the child reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReportedError {
    pub(crate) error_type: String,
    pub(crate) message: String,
}

impl ReportedError {
    /// "`type`: message", for logs.
    pub(crate) fn describe(&self) -> String {
        format!("{}: {}", self.error_type, self.message)
    }
}

/// Reads an error report: the type from the body's `errorType` (what the
/// function raised; clients put a generic `Unhandled` in the header), else
/// the header, else `Unhandled`; the message from `errorMessage`, else the
/// body as text.
pub(crate) async fn read_error(request: Request<Incoming>) -> ReportedError {
    let header = request
        .headers()
        .get(ERROR_TYPE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = match read_bounded(request.into_body(), MAX_RESPONSE).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => Bytes::from(format!(
            "(the error report was larger than {MAX_RESPONSE} bytes and was not read)"
        )),
        Err(BodyError::Broken(error)) => {
            Bytes::from(format!("(the error report was cut short: {error})"))
        }
    };
    parse_error(header.as_deref(), &body)
}

fn parse_error(header: Option<&str>, body: &[u8]) -> ReportedError {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|json| json.get(name))
            .and_then(serde_json::Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    let error_type = field("errorType")
        .or_else(|| header.filter(|h| !h.is_empty()).map(str::to_owned))
        .unwrap_or_else(|| "Unhandled".to_owned());
    let message =
        field("errorMessage").unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    ReportedError {
        error_type,
        message,
    }
}

/// A refusal in the Runtime API's own form: `{errorMessage, errorType}`.
pub(crate) fn api_error(
    status: StatusCode,
    error_type: &str,
    message: &str,
) -> http::Response<Body> {
    let body = serde_json::json!({ "errorMessage": message, "errorType": error_type });
    let mut response = http::Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bodys_type_wins_over_a_generic_header() {
        let body = br#"{"errorType":"KeyError","errorMessage":"'name'","stackTrace":[]}"#;
        let reported = parse_error(Some("Unhandled"), body);
        assert_eq!(reported.error_type, "KeyError");
        assert_eq!(reported.message, "'name'");

        let reported = parse_error(Some("Runtime.ConfigInvalid"), b"bad config");
        assert_eq!(reported.error_type, "Runtime.ConfigInvalid");
        assert_eq!(reported.message, "bad config");

        let reported = parse_error(None, b"");
        assert_eq!(reported.error_type, "Unhandled");
    }
}
