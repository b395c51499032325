//! [`Answer`]: what the invoke endpoint said, read from the Invoke API's
//! headers (`docs/design/invoke-endpoint.md`): the response or the
//! function's error, the per-phase timings, contract breaches and the log
//! tail.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// One invocation's answer from the invoke endpoint.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status of the invoke endpoint's reply.
    pub status: StatusCode,
    /// The invocation's request id (`X-Amz-Request-Id`), if sent.
    pub request_id: Option<String>,
    /// The function's response, or its error document.
    pub body: Bytes,
    /// The function's error, when `X-Amz-Function-Error` was set.
    pub function_error: Option<FunctionError>,
    /// `Server-Timing` entries, in order: phase name and milliseconds.
    pub timings: Vec<(String, f64)>,
    /// `X-Light-Runtime-Breach` values: contract breaches, in words.
    pub breaches: Vec<String>,
    /// The decoded `X-Amz-Log-Result`, when the tail was asked for.
    pub log_tail: Option<String>,
}

/// A function error, as Lambda's Invoke API reports one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// `errorType` of the body (or the header's value when the body has none).
    pub error_type: String,
    /// `errorMessage` of the body (or the whole body when it is not the
    /// error document).
    pub message: String,
}

impl Answer {
    /// Reads an answer from the reply's status, headers and body.
    pub fn from_reply(status: StatusCode, headers: &HeaderMap, body: Bytes) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let function_error = match text("x-amz-function-error") {
            Some(kind) => Some(read_error(&kind, &body)),
            // `cargo lambda watch` answers a function's error as a 500
            // carrying Lambda's error document, without the header.
            None if status.is_server_error() => error_document(&body),
            None => None,
        };
        let timings = headers
            .get_all("server-timing")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(read_timing)
            .collect();
        let breaches = headers
            .get_all("x-light-runtime-breach")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .map(str::to_owned)
            .collect();
        let log_tail =
            text("x-amz-log-result").map(|encoded| match base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
            {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(error) => format!("(the log tail is not base64: {error})"),
            });
        Answer {
            status,
            request_id: text("x-amz-request-id"),
            body,
            function_error,
            timings,
            breaches,
            log_tail,
        }
    }

    /// The timings as one line: `init 3.1 ms · invoke 0.4 ms · total 3.6 ms`.
    pub fn timings_line(&self) -> Option<String> {
        if self.timings.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .timings
            .iter()
            .map(|(name, ms)| format!("{name} {ms:.1} ms"))
            .collect();
        Some(parts.join(" · "))
    }
}

/// `errorType` and `errorMessage` of Lambda's error document; a body of
/// another shape is kept whole as the message.
fn read_error(header: &str, body: &[u8]) -> FunctionError {
    #[derive(serde::Deserialize)]
    struct Document {
        #[serde(rename = "errorType")]
        error_type: Option<String>,
        #[serde(rename = "errorMessage")]
        error_message: Option<String>,
    }
    match serde_json::from_slice::<Document>(body) {
        Ok(document) => FunctionError {
            error_type: document.error_type.unwrap_or_else(|| header.to_owned()),
            message: document.error_message.unwrap_or_default(),
        },
        Err(_) => FunctionError {
            error_type: header.to_owned(),
            message: String::from_utf8_lossy(body).into_owned(),
        },
    }
}

/// The error document in `body`, if it is one (it names an `errorType`).
fn error_document(body: &[u8]) -> Option<FunctionError> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error_type = value.get("errorType")?.as_str()?.to_owned();
    let message = value
        .get("errorMessage")
        .and_then(|message| message.as_str())
        .unwrap_or_default()
        .to_owned();
    Some(FunctionError {
        error_type,
        message,
    })
}

/// One `Server-Timing` entry (`name;dur=1.5;desc="..."`); entries without a
/// duration are skipped.
fn read_timing(entry: &str) -> Option<(String, f64)> {
    let mut parts = entry.split(';').map(str::trim);
    let name = parts.next().filter(|name| !name.is_empty())?;
    let duration = parts.find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("dur")
            .then(|| value.trim().trim_matches('"').parse::<f64>().ok())?
    })?;
    Some((name.to_owned(), duration))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_are_read_into_an_answer() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-function-error", "Unhandled".parse().unwrap());
        headers.append(
            "server-timing",
            "init;dur=3.25, invoke;dur=1".parse().unwrap(),
        );
        headers.append(
            "server-timing",
            "total;dur=4.5;desc=\"all\"".parse().unwrap(),
        );
        headers.append(
            "x-light-runtime-breach",
            "response posted twice".parse().unwrap(),
        );
        headers.insert("x-amz-log-result", "aGVsbG8K".parse().unwrap());
        let body = Bytes::from_static(br#"{"errorType":"Boom","errorMessage":"it broke"}"#);
        let answer = Answer::from_reply(StatusCode::OK, &headers, body);
        let error = answer.function_error.as_ref().unwrap();
        assert_eq!(
            (error.error_type.as_str(), error.message.as_str()),
            ("Boom", "it broke")
        );
        assert_eq!(
            answer.timings_line().unwrap(),
            "init 3.2 ms · invoke 1.0 ms · total 4.5 ms"
        );
        assert_eq!(answer.breaches, ["response posted twice"]);
        assert_eq!(answer.log_tail.as_deref(), Some("hello\n"));
    }

    #[test]
    fn a_500_carrying_the_error_document_is_a_function_error_as_cargo_lambda_sends_it() {
        let body = Bytes::from_static(br#"{"errorType":"Boom","errorMessage":"it broke"}"#);
        let answer = Answer::from_reply(StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new(), body);
        assert_eq!(answer.function_error.unwrap().error_type, "Boom");
        let other = Bytes::from_static(b"gateway exploded");
        let answer =
            Answer::from_reply(StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new(), other);
        assert!(answer.function_error.is_none(), "not an error document");
    }

    #[test]
    fn an_error_body_of_another_shape_is_kept_as_the_message() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-function-error", "Unhandled".parse().unwrap());
        let answer = Answer::from_reply(StatusCode::OK, &headers, Bytes::from_static(b"oops"));
        let error = answer.function_error.unwrap();
        assert_eq!(
            (error.error_type.as_str(), error.message.as_str()),
            ("Unhandled", "oops")
        );
    }
}
