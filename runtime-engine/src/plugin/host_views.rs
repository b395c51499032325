//! The host's views of an invocation: the C views a phase call lends a
//! plugin, borrowing from the engine's [`FunctionInfo`], [`Context`] and
//! [`Outcome`] rather than copying them.

use super::abi::{self, ByteSlice, ContextView, FunctionView, OutcomeView};
use crate::context::Context;
use crate::error::InvocationError;
use crate::function::FunctionInfo;
use crate::invocation::Outcome;

/// The view of `function`, borrowing its text.
pub(super) fn function_view(function: &FunctionInfo) -> FunctionView {
    FunctionView {
        platform: abi::platform::code(function.platform),
        memory_mb: function.memory_mb.unwrap_or(0),
        max_concurrency: u32::try_from(function.max_concurrency).unwrap_or(u32::MAX),
        name: ByteSlice::from_str(&function.name),
        version: ByteSlice::from_str(&function.version),
        region: ByteSlice::from_option(function.region.as_deref()),
        account_id: ByteSlice::from_option(function.account_id.as_deref()),
    }
}

/// The view of `context`, borrowing its text and `function`.
pub(super) fn context_view(context: &Context, function: &FunctionView) -> ContextView {
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
        trigger: abi::trigger::code(context.trigger()),
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
pub(super) fn outcome_view(outcome: &Outcome) -> OutcomeView {
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
        error_kind: abi::error_kind::code(error.kind()),
        body: ByteSlice::EMPTY,
        content_type: ByteSlice::EMPTY,
        error_type: ByteSlice::from_str(error.error_type()),
        error_message: ByteSlice::from_str(error.message()),
    }
}
