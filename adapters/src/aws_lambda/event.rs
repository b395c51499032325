//! Turns a `next` response into an [`Invocation`]: every header into [`Context`].
//!
//! [`Context`]: runtime_engine::Context

use runtime_engine::{
    ClientContext, CognitoIdentity, Deadline, Invocation, Lifecycle, PlatformHeaders, TraceContext,
};

use light_runtime_http_client::RawResponse;

/// Why a `next` response could not become an invocation.
#[derive(Debug)]
pub(crate) enum EventError {
    /// No usable request id: nothing can be answered.
    NoRequestId,
    /// The request id is not a plain id: it cannot go into a path as is.
    BadRequestId { request_id: String, message: String },
    /// The request id is known, but another mandatory header is wrong.
    BadHeader { request_id: String, message: String },
}

/// Builds the invocation for `response`.
pub(crate) fn invocation(
    lifecycle: &Lifecycle,
    response: RawResponse,
) -> Result<Invocation, EventError> {
    let mut request_id = None;
    let mut deadline = None;
    let mut arn = None;
    let mut trace = None;
    let mut client_context = None;
    let mut identity = None;
    let mut tenant_id = None;
    for (name, value) in response.headers() {
        // Names are matched on their distinguishing suffix after the common
        // `Lambda-Runtime-` prefix; case-insensitive per HTTP. Only values of
        // headers we read are checked for UTF-8.
        let Some(rest) = strip_prefix_ignore_case(name, b"lambda-runtime-") else {
            continue;
        };
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        if rest.eq_ignore_ascii_case(b"aws-request-id") {
            request_id = Some(value);
        } else if rest.eq_ignore_ascii_case(b"deadline-ms") {
            deadline = Some(value);
        } else if rest.eq_ignore_ascii_case(b"invoked-function-arn") {
            arn = Some(value);
        } else if rest.eq_ignore_ascii_case(b"trace-id") {
            trace = Some(value);
        } else if rest.eq_ignore_ascii_case(b"client-context") {
            client_context = Some(value);
        } else if rest.eq_ignore_ascii_case(b"cognito-identity") {
            identity = Some(value);
        } else if rest.eq_ignore_ascii_case(b"aws-tenant-id") {
            tenant_id = Some(value);
        }
    }
    let request_id = match request_id {
        Some(id) if !id.is_empty() => id,
        _ => return Err(EventError::NoRequestId),
    };
    if let Some(message) = super::request_id::problem(request_id) {
        return Err(EventError::BadRequestId {
            request_id: request_id.to_owned(),
            message,
        });
    }
    let bad = |message: String| EventError::BadHeader {
        request_id: request_id.to_owned(),
        message,
    };
    let deadline = match deadline.map(|d| d.trim().parse::<u64>()) {
        Some(Ok(ms)) => Deadline::from_epoch_ms(ms),
        Some(Err(_)) => {
            return Err(bad(format!(
                "header Lambda-Runtime-Deadline-Ms is not epoch milliseconds: {:?}",
                deadline.unwrap_or_default()
            )))
        }
        None => return Err(bad("header Lambda-Runtime-Deadline-Ms is missing".into())),
    };

    let mut builder = lifecycle.context(request_id).deadline(deadline);
    if let Some(arn) = arn {
        builder = builder.invoked_function_arn(arn);
    }
    if let Some(header) = trace {
        builder = builder.trace(header, TraceContext::from_xray(header));
    }
    if let Some(json) = client_context {
        match serde_json::from_str::<ClientContext>(json) {
            Ok(parsed) => builder = builder.client_context(parsed),
            Err(error) => {
                return Err(bad(format!(
                    "header Lambda-Runtime-Client-Context is not a client context: {error}"
                )))
            }
        }
    }
    if let Some(json) = identity {
        match serde_json::from_str::<CognitoIdentity>(json) {
            Ok(parsed) => builder = builder.identity(parsed),
            Err(error) => {
                return Err(bad(format!(
                    "header Lambda-Runtime-Cognito-Identity is not a Cognito identity: {error}"
                )))
            }
        }
    }
    if let Some(tenant) = tenant_id {
        builder = builder.tenant_id(tenant);
    }
    let context = builder
        .platform_headers(PlatformHeaders::from_raw(response.head))
        .build();
    Ok(Invocation {
        context,
        payload: response.body,
    })
}

fn strip_prefix_ignore_case<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    (text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &text[prefix.len()..])
}
