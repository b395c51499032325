//! Between engine types and their C views: codes for enums, views that
//! borrow from a [`FunctionInfo`] or [`Context`], and content types.

use std::collections::HashSet;
use std::sync::Mutex;

use once_cell::sync::Lazy;

use super::abi::{self, ByteSlice, ContextView, FunctionView, OutcomeView};
use crate::context::{Context, Trigger};
use crate::error::{ErrorKind, InvocationError};
use crate::function::{FunctionInfo, Platform};
use crate::invocation::Outcome;

pub(crate) fn platform_code(platform: Platform) -> u32 {
    match platform {
        Platform::AwsLambda => abi::platform::AWS_LAMBDA,
        Platform::AliyunFc => abi::platform::ALIYUN_FC,
        Platform::TencentScf => abi::platform::TENCENT_SCF,
        Platform::Http => abi::platform::HTTP,
        Platform::Local => abi::platform::LOCAL,
    }
}

pub(crate) fn platform_from_code(code: u32) -> Platform {
    match code {
        abi::platform::AWS_LAMBDA => Platform::AwsLambda,
        abi::platform::ALIYUN_FC => Platform::AliyunFc,
        abi::platform::TENCENT_SCF => Platform::TencentScf,
        abi::platform::HTTP => Platform::Http,
        _ => Platform::Local,
    }
}

pub(crate) fn trigger_code(trigger: Trigger) -> u32 {
    match trigger {
        Trigger::Datasource => abi::trigger::DATASOURCE,
        Trigger::Http => abi::trigger::HTTP,
        Trigger::Pubsub => abi::trigger::PUBSUB,
        Trigger::Timer => abi::trigger::TIMER,
        Trigger::Other => abi::trigger::OTHER,
    }
}

pub(crate) fn trigger_from_code(code: u32) -> Trigger {
    match code {
        abi::trigger::DATASOURCE => Trigger::Datasource,
        abi::trigger::HTTP => Trigger::Http,
        abi::trigger::PUBSUB => Trigger::Pubsub,
        abi::trigger::TIMER => Trigger::Timer,
        _ => Trigger::Other,
    }
}

pub(crate) fn error_kind_code(kind: ErrorKind) -> u32 {
    match kind {
        ErrorKind::Handler => abi::error_kind::HANDLER,
        ErrorKind::Panic => abi::error_kind::PANIC,
        ErrorKind::MalformedEvent => abi::error_kind::MALFORMED_EVENT,
        ErrorKind::Timeout => abi::error_kind::TIMEOUT,
        ErrorKind::Hook => abi::error_kind::HOOK,
        ErrorKind::Runtime => abi::error_kind::RUNTIME,
    }
}

pub(crate) fn error_kind_from_code(code: u32) -> ErrorKind {
    match code {
        abi::error_kind::HANDLER => ErrorKind::Handler,
        abi::error_kind::PANIC => ErrorKind::Panic,
        abi::error_kind::MALFORMED_EVENT => ErrorKind::MalformedEvent,
        abi::error_kind::TIMEOUT => ErrorKind::Timeout,
        abi::error_kind::HOOK => ErrorKind::Hook,
        _ => ErrorKind::Runtime,
    }
}

/// The view of `function`, borrowing its text.
pub(crate) fn function_view(function: &FunctionInfo) -> FunctionView {
    FunctionView {
        platform: platform_code(function.platform),
        memory_mb: function.memory_mb.unwrap_or(0),
        max_concurrency: u32::try_from(function.max_concurrency).unwrap_or(u32::MAX),
        name: ByteSlice::from_str(&function.name),
        version: ByteSlice::from_str(&function.version),
        region: ByteSlice::from_option(function.region.as_deref()),
        account_id: ByteSlice::from_option(function.account_id.as_deref()),
    }
}

/// The view of `context`, borrowing its text and `function`.
pub(crate) fn context_view(context: &Context, function: &FunctionView) -> ContextView {
    let (has_trace, trace_flags, trace_id, parent_id) = match context.trace() {
        Some(trace) => (
            1,
            if trace.sampled { abi::TRACE_SAMPLED } else { 0 },
            trace.trace_id,
            trace.parent_id,
        ),
        None => (0, 0, [0; 16], [0; 8]),
    };
    ContextView {
        function,
        request_id: ByteSlice::from_str(context.request_id()),
        deadline_epoch_ms: context.deadline_epoch_ms(),
        sequence: context.sequence(),
        trigger: trigger_code(context.trigger()),
        cold_start: u32::from(context.is_cold_start()),
        invoked_function_arn: ByteSlice::from_option(context.invoked_function_arn()),
        trace_header: ByteSlice::from_option(context.trace_header()),
        has_trace,
        trace_flags,
        trace_id,
        parent_id,
        tenant_id: ByteSlice::from_option(context.tenant_id()),
    }
}

/// The view of `outcome`, borrowing its bytes.
pub(crate) fn outcome_view(outcome: &Outcome) -> OutcomeView {
    match outcome {
        Outcome::Response(response) => OutcomeView {
            is_error: 0,
            error_kind: 0,
            body: ByteSlice::new(response.body()),
            content_type: ByteSlice::from_str(response.content_type()),
            error_type: ByteSlice::EMPTY,
            error_message: ByteSlice::EMPTY,
        },
        Outcome::Error(error) => error_view(error),
    }
}

fn error_view(error: &InvocationError) -> OutcomeView {
    OutcomeView {
        is_error: 1,
        error_kind: error_kind_code(error.kind()),
        body: ByteSlice::EMPTY,
        content_type: ByteSlice::EMPTY,
        error_type: ByteSlice::from_str(error.error_type()),
        error_message: ByteSlice::from_str(error.message()),
    }
}

/// [`intern_content_type`] of text given as bytes: the common types are
/// matched without a UTF-8 check; invalid UTF-8 is replaced.
pub(crate) fn content_type_from_bytes(content_type: &[u8]) -> &'static str {
    match content_type {
        b"" | b"application/json" => "application/json",
        b"text/plain" => "text/plain",
        b"text/plain; charset=utf-8" => "text/plain; charset=utf-8",
        b"application/octet-stream" => "application/octet-stream",
        other => intern_content_type(&String::from_utf8_lossy(other)),
    }
}

static CONTENT_TYPES: Lazy<Mutex<HashSet<&'static str>>> = Lazy::new(Mutex::default);

/// `content_type` as the `&'static str` a [`Response`](crate::Response)
/// holds. Common types are constants; others are interned once each, so a
/// plugin cannot grow memory beyond the distinct types it uses.
pub(crate) fn intern_content_type(content_type: &str) -> &'static str {
    match content_type {
        "" | "application/json" => "application/json",
        "text/plain" => "text/plain",
        "text/plain; charset=utf-8" => "text/plain; charset=utf-8",
        "application/octet-stream" => "application/octet-stream",
        other => {
            let mut known = CONTENT_TYPES.lock().unwrap_or_else(|p| p.into_inner());
            match known.get(other) {
                Some(interned) => interned,
                None => {
                    let interned: &'static str = Box::leak(other.to_owned().into_boxed_str());
                    known.insert(interned);
                    interned
                }
            }
        }
    }
}
