//! The `x-fc-*` request headers (reference 2.7) into a
//! [`Context`](runtime_engine::Context).
//!
//! | header | context |
//! |---|---|
//! | `x-fc-request-id` | `request_id` (required) |
//! | `x-fc-access-key-id`, `-secret`, `x-fc-security-token` | `credentials` (redacted in `Debug`) |
//! | `x-fc-function-name`, `-memory`, `x-fc-region`, `x-fc-account-id`, `x-fc-version-id` / `x-fc-qualifier` | the function info |
//! | `x-fc-function-timeout` (seconds; observed, unconfirmed in the docs) | `deadline` = arrival + timeout |
//! | `traceparent`, else `x-fc-tracing-opentracing-span-context` (Jaeger; observed) | `trace` |
//! | all of them | `platform_headers` |

use http::{HeaderMap, HeaderValue};
use runtime_engine::{ContextBuilder, Credentials, Deadline, Lifecycle, TraceContext};

use crate::function_info::{CurrentFunctionInfo, SentFunctionInfo};

/// The longest function timeout FC allows (24 h, for asynchronous
/// invocations); a longer one in the header is refused.
const MAX_TIMEOUT_SECS: u64 = 24 * 60 * 60;

/// Why a request cannot become an invocation.
#[derive(Debug)]
pub(crate) struct BadRequest(pub(crate) String);

/// The value of `name`, if present, UTF-8 and not empty.
pub(crate) fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(value_of)
}

/// `x-fc-control-path`, which routes every request: found by comparing
/// names, cheaper than `get`'s parsed and hashed lookup for a handful of
/// headers.
pub(crate) fn control_path(headers: &HeaderMap) -> Option<&str> {
    headers
        .iter()
        .find(|(name, _)| name.as_str() == "x-fc-control-path")
        .and_then(|(_, value)| value_of(value))
}

/// A header's value, if visible ASCII and not blank. `trim_ascii` rather
/// than `trim`: header values are ASCII, and `trim` decodes characters.
fn value_of(value: &HeaderValue) -> Option<&str> {
    value
        .to_str()
        .ok()
        .map(str::trim_ascii)
        .filter(|v| !v.is_empty())
}

/// The headers a request is routed by and an invocation's context is built
/// from, found in one pass over the request's headers: looking each up by
/// name would parse and hash every name again, and this runs on every
/// request.
#[derive(Debug, Default)]
pub(crate) struct FcHeaders<'a> {
    request_id: Option<&'a str>,
    function_name: Option<&'a str>,
    version_id: Option<&'a str>,
    qualifier: Option<&'a str>,
    memory: Option<&'a str>,
    region: Option<&'a str>,
    account_id: Option<&'a str>,
    timeout: Option<&'a str>,
    access_key_id: Option<&'a str>,
    access_key_secret: Option<&'a str>,
    security_token: Option<&'a str>,
    traceparent: Option<&'a str>,
    jaeger: Option<&'a str>,
}

impl<'a> FcHeaders<'a> {
    /// Reads them; the first value of a repeated header wins, as with `get`.
    pub(crate) fn read(headers: &'a HeaderMap) -> Self {
        let mut found = FcHeaders::default();
        for (name, value) in headers {
            let name = name.as_str();
            let slot = match name.strip_prefix("x-fc-") {
                Some("request-id") => &mut found.request_id,
                Some("function-name") => &mut found.function_name,
                Some("version-id") => &mut found.version_id,
                Some("qualifier") => &mut found.qualifier,
                Some("function-memory") => &mut found.memory,
                Some("region") => &mut found.region,
                Some("account-id") => &mut found.account_id,
                Some("function-timeout") => &mut found.timeout,
                Some("access-key-id") => &mut found.access_key_id,
                Some("access-key-secret") => &mut found.access_key_secret,
                Some("security-token") => &mut found.security_token,
                Some("tracing-opentracing-span-context") => &mut found.jaeger,
                Some(_) => continue,
                None if name == "traceparent" => &mut found.traceparent,
                None => continue,
            };
            if slot.is_none() {
                *slot = value_of(value);
            }
        }
        found
    }

    /// The request id FC sent, for log markers and answers.
    pub(crate) fn request_id(&self) -> Result<&'a str, BadRequest> {
        self.request_id.ok_or_else(|| {
            BadRequest("the request has no x-fc-request-id header, so it cannot be answered as an FC invocation".into())
        })
    }
}

/// Starts the invocation's context for `request_id` from FC's headers (all
/// but the trigger and the raw headers, which the caller adds).
pub(crate) fn context(
    lifecycle: &Lifecycle,
    function: &CurrentFunctionInfo,
    default_timeout: Option<std::time::Duration>,
    request_id: String,
    found: &FcHeaders<'_>,
) -> Result<ContextBuilder, BadRequest> {
    let memory_mb = match found.memory {
        Some(text) => Some(text.parse::<u32>().map_err(|_| {
            BadRequest(format!(
                "header x-fc-function-memory is not a number of MB: {text:?}"
            ))
        })?),
        None => None,
    };
    let sent = SentFunctionInfo {
        name: found.function_name,
        version: found.version_id.or(found.qualifier),
        memory_mb,
        region: found.region,
        account_id: found.account_id,
    };
    let mut builder = lifecycle
        .context(request_id)
        .function(function.resolve(&sent));

    // No absolute deadline on FC: arrival + the (unconfirmed) timeout header,
    // else the configured timeout.
    let timeout = match found.timeout {
        Some(text) => Some(std::time::Duration::from_secs(
            text.parse::<u64>()
                .ok()
                // A deadline past any FC allows would overflow the clock.
                .filter(|seconds| *seconds <= MAX_TIMEOUT_SECS)
                .ok_or_else(|| {
                    BadRequest(format!(
                        "header x-fc-function-timeout is not a number of seconds up to \
                         {MAX_TIMEOUT_SECS}: {text:?}"
                    ))
                })?,
        )),
        None => default_timeout,
    };
    if let Some(timeout) = timeout {
        builder = builder.deadline(Deadline::after(timeout));
    }
    if let Some(access_key_id) = found.access_key_id {
        builder = builder.credentials(Credentials {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: found.access_key_secret.unwrap_or_default().to_owned(),
            // Debian 11 custom runtimes no longer send the token (reference 2.2).
            session_token: found.security_token.map(str::to_owned),
        });
    }
    if let Some(header) = found.traceparent {
        builder = builder.trace(header, TraceContext::from_traceparent(header));
    } else if let Some(header) = found.jaeger {
        builder = builder.trace(header, from_jaeger(header));
    }
    Ok(builder)
}

/// Parses a Jaeger span context, `{trace-id}:{span-id}:{parent-id}:{flags}`
/// in hex (ids may be shorter than W3C's and are left-padded).
pub(crate) fn from_jaeger(header: &str) -> Option<TraceContext> {
    let mut parts = header.split(':');
    let (trace_id, span_id, _parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if trace_id.len() > 32 || span_id.len() > 16 || parts.next().is_some() {
        return None;
    }
    let flags = u8::from_str_radix(flags, 16).ok()?;
    let traceparent = format!("00-{trace_id:0>32}-{span_id:0>16}-{:02x}", flags & 1);
    TraceContext::from_traceparent(&traceparent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaeger_contexts_become_w3c() {
        let trace = from_jaeger("5759e988bd862e3f:53995c3f42cd8ad8:0:1").unwrap();
        assert_eq!(
            trace.to_traceparent(),
            "00-00000000000000005759e988bd862e3f-53995c3f42cd8ad8-01"
        );
        assert!(from_jaeger("not-a-span-context").is_none());
    }

    /// Every header FC sends that the parser reads, and typical values.
    const KNOWN: &[&str] = &[
        "x-fc-request-id",
        "x-fc-function-name",
        "x-fc-version-id",
        "x-fc-qualifier",
        "x-fc-function-memory",
        "x-fc-region",
        "x-fc-account-id",
        "x-fc-function-timeout",
        "x-fc-access-key-id",
        "x-fc-access-key-secret",
        "x-fc-security-token",
        "x-fc-tracing-opentracing-span-context",
        "traceparent",
        "x-fc-control-path",
    ];
    const TYPICAL: &[&str] = &[
        "fc-req-000001",
        "512",
        "18446744073709551615",
        "3",
        " 60 ",
        "-1",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "1f2e3d:4c5b:0:1",
        "ffffffffffffffffffffffffffffffff:ffffffffffffffff:0:ff",
        "/invoke",
    ];

    #[test]
    fn a_timeout_past_any_fc_allows_is_refused_not_a_panic() {
        // Found by `fuzz_fc_headers`: the deadline overflowed the clock.
        let lifecycle = Lifecycle::new(
            runtime_engine::FunctionInfo::new(runtime_engine::Platform::AliyunFc, "f"),
            Vec::new(),
            runtime_engine::Budgets::default(),
        );
        let function = CurrentFunctionInfo::new(lifecycle.function().clone());
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-fc-function-timeout",
            "18446744073709551615".parse().unwrap(),
        );
        let found = FcHeaders::read(&headers);
        let Err(BadRequest(message)) = context(&lifecycle, &function, None, "id".into(), &found)
        else {
            panic!("refused");
        };
        assert!(message.contains("x-fc-function-timeout"), "{message}");
    }

    #[test]
    fn fuzz_fc_headers() {
        use runtime_engine::{Budgets, FunctionInfo, Platform};
        let lifecycle = Lifecycle::new(
            FunctionInfo::new(Platform::AliyunFc, "f"),
            Vec::new(),
            Budgets::default(),
        );
        let function = CurrentFunctionInfo::new(lifecycle.function().clone());
        crate::push_server::fuzz_cases::run("fc_headers", |input| {
            let headers = crate::push_server::fuzz_cases::headers(input, KNOWN, TYPICAL);
            let _ = control_path(&headers);
            let found = FcHeaders::read(&headers);
            if let Ok(id) = found.request_id() {
                assert!(!id.is_empty() && id == id.trim_ascii(), "{id:?}");
            }
            match context(&lifecycle, &function, None, "id".into(), &found) {
                Ok(builder) => drop(builder.build()),
                Err(BadRequest(message)) => assert!(message.contains("header x-fc-"), "{message}"),
            }
            if let Some(header) = found.jaeger {
                if let Some(trace) = from_jaeger(header) {
                    assert!(TraceContext::from_traceparent(&trace.to_traceparent()).is_some());
                }
            }
        });
    }
}
