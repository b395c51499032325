//! The headers of a `next` response (Runtime API reference 1.5), filled
//! from the platform's [`Context`], so that a Lambda client in the child
//! (its `context.aws_request_id`, `get_remaining_time_in_millis()`,
//! `invoked_function_arn`, X-Ray id, identity) sees the invocation as
//! Lambda would show it, on whichever platform it came from.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue};
use runtime_engine::{Context, FunctionInfo};

/// The deadline a child is told when the platform sends none (plain HTTP
/// without `LIGHT_RUNTIME_TIMEOUT_MS`, local): Lambda's longest timeout.
const NO_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// The `next` headers for the invocation of `context`.
pub(crate) fn next_headers(context: &Context) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(8);
    let mut set = |name: &'static str, value: &str| {
        // A value that cannot be a header (a control character from a
        // platform) is left out rather than failing the invocation, as
        // Lambda leaves out empty optional headers.
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("lambda-runtime-aws-request-id", context.request_id());
    let deadline_ms = match context.deadline() {
        Some(deadline) => deadline.epoch_ms(),
        None => epoch_ms(SystemTime::now() + NO_DEADLINE),
    };
    set("lambda-runtime-deadline-ms", &deadline_ms.to_string());
    match context.invoked_function_arn() {
        Some(arn) => set("lambda-runtime-invoked-function-arn", arn),
        None => set(
            "lambda-runtime-invoked-function-arn",
            &function_arn(context.function()),
        ),
    }
    if let Some(trace) = trace_id(context) {
        set("lambda-runtime-trace-id", &trace);
    }
    let (client_context, cognito_identity) = lambda_headers(context);
    if let Some(client_context) = client_context {
        set("lambda-runtime-client-context", client_context);
    }
    match cognito_identity {
        Some(identity) => set("lambda-runtime-cognito-identity", identity),
        None => {
            if let Some(identity) = context.identity() {
                let json = serde_json::json!({
                    "cognitoIdentityId": identity.cognito_identity_id,
                    "cognitoIdentityPoolId": identity.cognito_identity_pool_id,
                });
                set("lambda-runtime-cognito-identity", &json.to_string());
            }
        }
    }
    if let Some(tenant_id) = context.tenant_id() {
        set("lambda-runtime-aws-tenant-id", tenant_id);
    }
    set("content-type", "application/json");
    headers
}

/// The platform's `Lambda-Runtime-Client-Context` and
/// `Lambda-Runtime-Cognito-Identity`, found in one pass: a pull adapter
/// keeps the raw header block, which each `get` splits into lines anew
/// (measured with callgrind: two `get`s were 10k of the proxy's 78k user
/// instructions per invocation, one pass is 5k).
fn lambda_headers(context: &Context) -> (Option<&str>, Option<&str>) {
    let (mut client_context, mut cognito_identity) = (None, None);
    for (name, value) in context.platform_headers().iter() {
        if client_context.is_none() && name.eq_ignore_ascii_case("lambda-runtime-client-context") {
            client_context = Some(value);
        } else if cognito_identity.is_none()
            && name.eq_ignore_ascii_case("lambda-runtime-cognito-identity")
        {
            cognito_identity = Some(value);
        }
    }
    (client_context, cognito_identity)
}

/// A Lambda function ARN for a function on another platform, from what
/// that platform says (region, account id, name), so that clients which
/// parse the ARN (for the account id, the alias) find one in Lambda's form.
pub(crate) fn function_arn(function: &FunctionInfo) -> String {
    format!(
        "arn:aws:lambda:{}:{}:function:{}",
        function.region.as_deref().unwrap_or("local"),
        function.account_id.as_deref().unwrap_or("000000000000"),
        function.name,
    )
}

/// The X-Ray trace header: the platform's own when it is one, else the
/// invocation's W3C trace context written in X-Ray's form.
fn trace_id(context: &Context) -> Option<String> {
    if let Some(header) = context.trace_header() {
        if header.contains("Root=") {
            return Some(header.to_owned());
        }
    }
    let trace = context.trace()?;
    let hex = trace.trace_id_hex();
    let parent: String = trace
        .parent_id
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Some(format!(
        "Root=1-{}-{};Parent={parent};Sampled={}",
        &hex[..8],
        &hex[8..],
        u8::from(trace.sampled)
    ))
}

fn epoch_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use runtime_engine::{Deadline, Platform, PlatformHeaders, TraceContext};

    use super::*;

    #[test]
    fn every_header_is_filled_and_an_arn_is_made_off_aws() {
        let function = FunctionInfo::new(Platform::AliyunFc, "orders")
            .with_region(Some("cn-hangzhou"))
            .with_account_id(Some("1234"));
        let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let context = Context::builder(Arc::new(function), "req-1")
            .deadline(Deadline::from_epoch_ms(1_700_000_000_000))
            .trace(traceparent, TraceContext::from_traceparent(traceparent))
            .tenant_id("tenant-a")
            .build();
        let headers = next_headers(&context);
        assert_eq!(headers["lambda-runtime-aws-request-id"], "req-1");
        assert_eq!(headers["lambda-runtime-deadline-ms"], "1700000000000");
        assert_eq!(
            headers["lambda-runtime-invoked-function-arn"],
            "arn:aws:lambda:cn-hangzhou:1234:function:orders"
        );
        assert_eq!(
            headers["lambda-runtime-trace-id"],
            "Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=b7ad6b7169203331;Sampled=1"
        );
        assert_eq!(headers["lambda-runtime-aws-tenant-id"], "tenant-a");
        assert!(!headers.contains_key("lambda-runtime-client-context"));
    }

    #[test]
    fn client_context_and_identity_pass_through_from_a_raw_header_block() {
        let function = FunctionInfo::new(Platform::AwsLambda, "f");
        let raw = "Content-Type: application/json\r\n\
                   lambda-runtime-cognito-identity: {\"cognitoIdentityId\":\"id-1\"}\r\n\
                   Lambda-Runtime-Client-Context: {\"custom\":{\"k\":\"v\"}}\r\n\
                   Lambda-Runtime-Client-Context: second\r\n";
        let context = Context::builder(Arc::new(function), "r")
            .platform_headers(PlatformHeaders::from_raw(Bytes::from_static(
                raw.as_bytes(),
            )))
            .build();
        let headers = next_headers(&context);
        // The first of a repeated header, as `get` would give.
        assert_eq!(
            headers["lambda-runtime-client-context"],
            r#"{"custom":{"k":"v"}}"#
        );
        assert_eq!(
            headers["lambda-runtime-cognito-identity"],
            r#"{"cognitoIdentityId":"id-1"}"#
        );
    }

    #[test]
    fn without_a_deadline_the_child_gets_lambdas_longest() {
        let function = FunctionInfo::new(Platform::Local, "f");
        let context = Context::builder(Arc::new(function), "r").build();
        let headers = next_headers(&context);
        let deadline: u64 = headers["lambda-runtime-deadline-ms"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let now = epoch_ms(SystemTime::now());
        assert!(deadline > now + 14 * 60 * 1000 && deadline <= now + 15 * 60 * 1000);
    }
}
