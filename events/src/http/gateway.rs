//! [`Gateway`]: which gateway sent an event, told from the event's own JSON.

use std::fmt;

use serde::de::IgnoredAny;
use serde::Deserialize;

/// A source of HTTP requests as events: each has its own request JSON and
/// expects its own response JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Gateway {
    /// Amazon API Gateway REST API (proxy integration, payload 1.0); also
    /// an HTTP API configured for payload format 1.0.
    ApiGatewayRest,
    /// Amazon API Gateway HTTP API, payload format 2.0.
    ApiGatewayHttp,
    /// An Application Load Balancer target group.
    Alb {
        /// Whether the target group has multi-value headers turned on (the
        /// event then carries `multiValueHeaders` and
        /// `multiValueQueryStringParameters`).
        multi_value_headers: bool,
    },
    /// A Lambda function URL (payload 2.0, answered in its own shape).
    FunctionUrl,
    /// An Alibaba Cloud FC 3.0 HTTP trigger invoking an event function.
    FcHttpTrigger,
    /// A Tencent Cloud API Gateway trigger invoking an SCF event function.
    ScfApiGateway,
}

impl Gateway {
    /// The gateway that sent `event`, or `None` when it is no gateway's
    /// request (any other event, or not JSON at all).
    ///
    /// Only the few fields that tell the shapes apart are read:
    /// `requestContext.elb` (ALB), `version` `"2.0"` with
    /// `requestContext.http` (HTTP API; a function URL when the domain is a
    /// `.lambda-url.` one), `version` `"v1"` with `rawPath` (FC),
    /// `httpMethod` with `requestContext.serviceId` (SCF) or without it
    /// (REST API).
    pub fn detect(event: &[u8]) -> Option<Gateway> {
        // Events are objects; a cheap look at the first byte spares a parse
        // of every array, string or number an HTTP function might be sent.
        let first = event.iter().find(|b| !b.is_ascii_whitespace())?;
        if *first != b'{' {
            return None;
        }
        let probe: Probe<'_> = serde_json::from_slice(event).ok()?;
        let context = probe.request_context?;
        if context.elb.is_some() {
            return Some(Gateway::Alb {
                multi_value_headers: probe.multi_value_headers.is_some(),
            });
        }
        match probe.version.as_deref() {
            Some("2.0") if context.http.is_some() => {
                let function_url = context
                    .domain_name
                    .as_deref()
                    .is_some_and(|domain| domain.contains(".lambda-url."));
                return Some(if function_url {
                    Gateway::FunctionUrl
                } else {
                    Gateway::ApiGatewayHttp
                });
            }
            Some("v1") if probe.raw_path.is_some() && context.http.is_some() => {
                return Some(Gateway::FcHttpTrigger)
            }
            _ => {}
        }
        if probe.http_method.is_some() {
            return Some(if context.service_id.is_some() {
                Gateway::ScfApiGateway
            } else {
                Gateway::ApiGatewayRest
            });
        }
        None
    }

    /// The gateway's name as its documentation says it.
    pub fn name(self) -> &'static str {
        match self {
            Gateway::ApiGatewayRest => "API Gateway REST API (payload 1.0)",
            Gateway::ApiGatewayHttp => "API Gateway HTTP API (payload 2.0)",
            Gateway::Alb {
                multi_value_headers: false,
            } => "Application Load Balancer",
            Gateway::Alb {
                multi_value_headers: true,
            } => "Application Load Balancer (multi-value headers)",
            Gateway::FunctionUrl => "Lambda function URL",
            Gateway::FcHttpTrigger => "Alibaba Cloud FC HTTP trigger",
            Gateway::ScfApiGateway => "Tencent Cloud API Gateway trigger",
        }
    }
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `event` opens with `{"version":"2.0"` (any whitespace between
/// the tokens), as AWS writes payload 2.0 events; a hint only, confirmed by
/// reading the event.
pub(crate) fn starts_as_payload_2(event: &[u8]) -> bool {
    let mut rest = event;
    for token in [&b"{"[..], b"\"version\"", b":", b"\"2.0\""] {
        rest = rest.trim_ascii_start();
        match rest.strip_prefix(token) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    true
}

/// The fields [`Gateway::detect`] looks at; everything else is skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe<'a> {
    #[serde(default, borrow)]
    version: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    raw_path: Option<IgnoredAny>,
    #[serde(default)]
    http_method: Option<IgnoredAny>,
    #[serde(default)]
    multi_value_headers: Option<IgnoredAny>,
    #[serde(default, borrow)]
    request_context: Option<ContextProbe<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContextProbe<'a> {
    #[serde(default)]
    elb: Option<IgnoredAny>,
    #[serde(default)]
    http: Option<IgnoredAny>,
    #[serde(default)]
    service_id: Option<IgnoredAny>,
    #[serde(default, borrow)]
    domain_name: Option<std::borrow::Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::{starts_as_payload_2, Gateway};

    #[test]
    fn payload_2_is_recognised_by_its_opening_whatever_the_spacing() {
        assert!(starts_as_payload_2(br#"{"version":"2.0","rawPath":"/"}"#));
        assert!(starts_as_payload_2(
            b" {\n  \"version\" : \"2.0\", \"x\": 1}"
        ));
        assert!(!starts_as_payload_2(br#"{"version":"v1"}"#));
        assert!(!starts_as_payload_2(br#"{"rawPath":"/","version":"2.0"}"#));
        assert!(!starts_as_payload_2(b"[]"));
    }

    #[test]
    fn events_that_are_no_gateways_request_are_not_detected() {
        for event in [
            &b"[1,2]"[..],
            b"\"ping\"",
            b"{\"name\":\"Ada\"}",
            b"{\"requestContext\":{}}",
            b"{\"Records\":[{\"eventSource\":\"aws:sqs\"}]}",
            b"not json",
            b"",
        ] {
            assert_eq!(
                Gateway::detect(event),
                None,
                "{}",
                String::from_utf8_lossy(event)
            );
        }
    }
}
