//! The numbers and text by which engine values cross: platform, trigger
//! and error-kind codes, each with its conversions both ways, and content
//! types.

use std::collections::HashSet;
use std::sync::Mutex;

use once_cell::sync::Lazy;

/// Platform codes in [`FunctionView::platform`](super::FunctionView::platform).
pub mod platform {
    use crate::function::Platform;

    /// AWS Lambda.
    pub const AWS_LAMBDA: u32 = 0;
    /// Alibaba Cloud Function Compute.
    pub const ALIYUN_FC: u32 = 1;
    /// Tencent Cloud SCF.
    pub const TENCENT_SCF: u32 = 2;
    /// A plain HTTP FaaS.
    pub const HTTP: u32 = 3;
    /// The local development server.
    pub const LOCAL: u32 = 4;

    /// The code of `platform`.
    pub fn code(platform: Platform) -> u32 {
        match platform {
            Platform::AwsLambda => AWS_LAMBDA,
            Platform::AliyunFc => ALIYUN_FC,
            Platform::TencentScf => TENCENT_SCF,
            Platform::Http => HTTP,
            Platform::Local => LOCAL,
        }
    }

    /// The platform `code` names; `Local` for a code this version does not know.
    pub fn from_code(code: u32) -> Platform {
        match code {
            AWS_LAMBDA => Platform::AwsLambda,
            ALIYUN_FC => Platform::AliyunFc,
            TENCENT_SCF => Platform::TencentScf,
            HTTP => Platform::Http,
            _ => Platform::Local,
        }
    }
}

/// Trigger codes in [`ContextView::trigger`](super::ContextView::trigger)
/// (OpenTelemetry `faas.trigger`).
pub mod trigger {
    use crate::context::Trigger;

    /// Anything else, or unknown.
    pub const OTHER: u32 = 0;
    /// A queue, stream, storage or database change.
    pub const DATASOURCE: u32 = 1;
    /// An HTTP request.
    pub const HTTP: u32 = 2;
    /// A publish/subscribe message.
    pub const PUBSUB: u32 = 3;
    /// A schedule.
    pub const TIMER: u32 = 4;

    /// The code of `trigger`.
    pub fn code(trigger: Trigger) -> u32 {
        match trigger {
            Trigger::Datasource => DATASOURCE,
            Trigger::Http => HTTP,
            Trigger::Pubsub => PUBSUB,
            Trigger::Timer => TIMER,
            Trigger::Other => OTHER,
        }
    }

    /// The trigger `code` names; `Other` for a code this version does not know.
    pub fn from_code(code: u32) -> Trigger {
        match code {
            DATASOURCE => Trigger::Datasource,
            HTTP => Trigger::Http,
            PUBSUB => Trigger::Pubsub,
            TIMER => Trigger::Timer,
            _ => Trigger::Other,
        }
    }
}

/// Error kind codes in [`OutcomeView::error_kind`](super::OutcomeView::error_kind).
pub mod error_kind {
    use crate::error::ErrorKind;

    /// The handler returned an error.
    pub const HANDLER: u32 = 0;
    /// The handler panicked.
    pub const PANIC: u32 = 1;
    /// The event did not decode into the handler's event type.
    pub const MALFORMED_EVENT: u32 = 2;
    /// The handler ran out of time.
    pub const TIMEOUT: u32 = 3;
    /// A hook failed.
    pub const HOOK: u32 = 4;
    /// A layer or the runtime failed.
    pub const RUNTIME: u32 = 5;

    /// The code of `kind`.
    pub fn code(kind: ErrorKind) -> u32 {
        match kind {
            ErrorKind::Handler => HANDLER,
            ErrorKind::Panic => PANIC,
            ErrorKind::MalformedEvent => MALFORMED_EVENT,
            ErrorKind::Timeout => TIMEOUT,
            ErrorKind::Hook => HOOK,
            ErrorKind::Runtime => RUNTIME,
        }
    }

    /// The kind `code` names; `Runtime` for a code this version does not know.
    pub fn from_code(code: u32) -> ErrorKind {
        match code {
            HANDLER => ErrorKind::Handler,
            PANIC => ErrorKind::Panic,
            MALFORMED_EVENT => ErrorKind::MalformedEvent,
            TIMEOUT => ErrorKind::Timeout,
            HOOK => ErrorKind::Hook,
            _ => ErrorKind::Runtime,
        }
    }
}

static CONTENT_TYPES: Lazy<Mutex<HashSet<&'static str>>> = Lazy::new(Mutex::default);

/// The content type a plugin or the host sent as `bytes` (empty meaning
/// `application/json`, as the ABI says), as the `&'static str` a
/// [`Response`](crate::Response) holds. The common types are matched as
/// bytes; others are interned once each, so the other side cannot grow
/// memory beyond the distinct types it uses. Invalid UTF-8 is replaced.
pub fn content_type(bytes: &[u8]) -> &'static str {
    match bytes {
        b"" | b"application/json" => "application/json",
        b"text/plain" => "text/plain",
        b"text/plain; charset=utf-8" => "text/plain; charset=utf-8",
        b"application/octet-stream" => "application/octet-stream",
        other => {
            let other = super::text(other);
            let mut known = CONTENT_TYPES.lock().unwrap_or_else(|p| p.into_inner());
            match known.get(&*other) {
                Some(interned) => interned,
                None => {
                    let interned: &'static str = Box::leak(other.into_owned().into_boxed_str());
                    known.insert(interned);
                    interned
                }
            }
        }
    }
}
