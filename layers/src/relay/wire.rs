//! What goes over the relay: [`RelayedInvocation`] from the instance to the
//! laptop, [`RelayedAnswer`] back, each a JSON body of one HTTP exchange
//! (`POST {URL}/v1/invocations`; see `docs/design/relay.md`).

use std::time::Duration;

use base64::Engine;
use runtime_engine::{Invocation, InvocationError, Outcome, Response};
use serde::{Deserialize, Serialize};

/// The path, under the relay URL, invocations are posted to.
pub const INVOCATIONS_PATH: &str = "/v1/invocations";

/// One invocation as the instance received it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RelayedInvocation {
    /// The platform's request id.
    pub request_id: String,
    /// The platform, as the runtime names it (`AWS Lambda`, ...).
    pub platform: String,
    /// The function's name.
    pub function_name: String,
    /// The function's version.
    pub function_version: String,
    /// The ARN or resource name the platform invoked, if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_function_arn: Option<String>,
    /// How long the laptop has to answer, in milliseconds: the time left
    /// before the instance stops waiting, not the platform's deadline.
    pub deadline_ms: u64,
    /// The trace header the platform sent (X-Ray, W3C), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_header: Option<String>,
    /// The headers the platform sent with the invocation.
    #[serde(default)]
    pub platform_headers: Vec<(String, String)>,
    /// For an HTTP invocation (FC, plain HTTP, SCF web): its request line
    /// and headers; the body is [`event`](Self::event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<RelayedHttpRequest>,
    /// The event (or HTTP body), base64.
    pub event: String,
}

/// An HTTP invocation's request line and headers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RelayedHttpRequest {
    /// The method.
    pub method: String,
    /// The path and query.
    pub uri: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
}

/// The laptop's answer: what the instance answers the platform.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RelayedAnswer {
    /// The function answered.
    Response {
        /// The body, base64.
        body: String,
        /// For an HTTP function: the status it chose.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// For an HTTP function: the headers it set.
        #[serde(default)]
        headers: Vec<(String, String)>,
    },
    /// The function failed.
    Error {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        error_message: String,
    },
}

fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode(field: &str, text: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|error| format!("the relayed {field} is not base64: {error}"))
}

impl RelayedInvocation {
    /// `invocation` as relayed, the laptop given `deadline` to answer.
    pub fn from_invocation(invocation: &Invocation, deadline: Duration) -> Self {
        let context = &invocation.context;
        RelayedInvocation {
            request_id: context.request_id().to_owned(),
            platform: context.platform().to_string(),
            function_name: context.function_name().to_owned(),
            function_version: context.function_version().to_owned(),
            invoked_function_arn: context.invoked_function_arn().map(str::to_owned),
            deadline_ms: deadline.as_millis() as u64,
            trace_header: context.trace_header().map(str::to_owned),
            platform_headers: context
                .platform_headers()
                .iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
            http: context.http_request().map(|parts| RelayedHttpRequest {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                headers: header_pairs(&parts.headers),
            }),
            event: encode(&invocation.payload),
        }
    }

    /// The event's bytes.
    pub fn event_bytes(&self) -> Result<Vec<u8>, String> {
        decode("event", &self.event)
    }
}

impl RelayedAnswer {
    /// A response with `body`.
    pub fn response(body: &[u8]) -> Self {
        RelayedAnswer::Response {
            body: encode(body),
            status: None,
            headers: Vec::new(),
        }
    }

    /// An HTTP function's response.
    pub fn http_response(response: &http::Response<impl AsRef<[u8]>>) -> Self {
        RelayedAnswer::Response {
            body: encode(response.body().as_ref()),
            status: Some(response.status().as_u16()),
            headers: header_pairs(response.headers()),
        }
    }

    /// A function error.
    pub fn error(error_type: impl Into<String>, error_message: impl Into<String>) -> Self {
        RelayedAnswer::Error {
            error_type: error_type.into(),
            error_message: error_message.into(),
        }
    }

    /// `outcome` as relayed; a streamed response's body is not relayed
    /// (the laptop's emulator hands over whole answers).
    pub fn from_outcome(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Error(error) => Self::error(error.error_type(), error.message()),
            Outcome::Response(response) => match (response.status(), response.headers()) {
                (Some(status), Some(headers)) => RelayedAnswer::Response {
                    body: encode(response.body()),
                    status: Some(status.as_u16()),
                    headers: header_pairs(headers),
                },
                _ => Self::response(response.body()),
            },
        }
    }

    /// The outcome the instance answers the platform with.
    pub fn into_outcome(self) -> Result<Outcome, String> {
        match self {
            RelayedAnswer::Error {
                error_type,
                error_message,
            } => Ok(Outcome::Error(InvocationError::handler(
                error_type,
                error_message,
            ))),
            RelayedAnswer::Response {
                body, status: None, ..
            } => Ok(Outcome::Response(Response::json(decode("body", &body)?))),
            RelayedAnswer::Response {
                body,
                status: Some(status),
                headers,
            } => {
                let mut response = http::Response::builder().status(status);
                for (name, value) in &headers {
                    response = response.header(name, value);
                }
                let response = response
                    .body(bytes::Bytes::from(decode("body", &body)?))
                    .map_err(|error| format!("the relayed HTTP response is invalid: {error}"))?;
                Ok(Outcome::Response(Response::from_http(response)))
            }
        }
    }
}

fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_into_outcomes() {
        let error = RelayedAnswer::error("OrderError", "no such order");
        let json = serde_json::to_string(&error).unwrap();
        assert!(json.contains(r#""outcome":"error""#), "{json}");
        let back: RelayedAnswer = serde_json::from_str(&json).unwrap();
        let outcome = back.into_outcome().unwrap();
        let error = outcome.error().unwrap();
        assert_eq!(
            (error.error_type(), error.message()),
            ("OrderError", "no such order")
        );

        let http = http::Response::builder()
            .status(201)
            .header("x-order", "7")
            .body(b"made".to_vec())
            .unwrap();
        let outcome = RelayedAnswer::http_response(&http).into_outcome().unwrap();
        let response = outcome.response().unwrap();
        assert_eq!(response.status().unwrap().as_u16(), 201);
        assert_eq!(response.headers().unwrap()["x-order"], "7");
        assert_eq!(response.body().as_ref(), b"made");
        assert_eq!(
            RelayedAnswer::from_outcome(&outcome),
            RelayedAnswer::http_response(&http)
        );
    }

    #[test]
    fn a_body_that_is_not_base64_is_named() {
        let answer = RelayedAnswer::Response {
            body: "not base64!".into(),
            status: None,
            headers: Vec::new(),
        };
        assert!(answer
            .into_outcome()
            .unwrap_err()
            .contains("relayed body is not base64"));
    }
}
