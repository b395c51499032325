//! Engine values rebuilt from the host's C views: the function's facts, an
//! invocation's context (built afresh or refilled in place), its trace and
//! its outcome.

use std::sync::Arc;

use bytes::Bytes;
use runtime_engine::plugin::abi::{self, ByteSlice, ContextView, FunctionView, OutcomeView};
use runtime_engine::{
    Context, ContextParts, FunctionInfo, InvocationError, Outcome, Response, TraceContext,
};

/// The function's facts `view` shows.
pub(crate) fn function_info(view: &FunctionView) -> FunctionInfo {
    // SAFETY: the view's slices are valid for the call (the ABI).
    let text = |slice: ByteSlice| unsafe { slice.to_text() }.into_owned();
    let optional = |slice: ByteSlice| Some(text(slice)).filter(|s| !s.is_empty());
    FunctionInfo::new(abi::platform::from_code(view.platform), text(view.name))
        .with_version(text(view.version))
        .with_memory_mb(Some(view.memory_mb).filter(|&mb| mb > 0))
        .with_region(optional(view.region))
        .with_account_id(optional(view.account_id))
        .with_max_concurrency(view.max_concurrency as usize)
}

/// The context `view` shows, for `function` (the facts its `function`
/// view shows).
pub(crate) fn build_context(view: &ContextView, function: &Arc<FunctionInfo>) -> Context {
    let mut parts = ContextParts::new(function.clone(), String::new());
    fill_parts(&mut parts, view, function);
    Context::from_parts(parts)
}

/// Makes `parts` what `view` shows for `function`, in place, keeping their
/// allocations (text equal to the old is kept as is: the ARN is the same on
/// every invocation).
pub(crate) fn fill_parts(
    parts: &mut ContextParts,
    view: &ContextView,
    function: &Arc<FunctionInfo>,
) {
    if !Arc::ptr_eq(&parts.function, function) {
        parts.function = function.clone();
    }
    // SAFETY: the view's slices are valid for the call (the ABI).
    let bytes = |slice: ByteSlice| unsafe { slice.as_bytes() };
    set_text(&mut parts.request_id, bytes(view.request_id));
    parts.sequence = view.sequence;
    parts.cold_start = view.sequence == 1;
    parts.trigger = abi::trigger::from_code(view.trigger);
    parts.deadline = None;
    parts.deadline_epoch_ms = view.deadline_epoch_ms;
    set_optional_text(
        &mut parts.invoked_function_arn,
        bytes(view.invoked_function_arn),
    );
    if view.trace_header.len != 0 || view.has_trace != 0 {
        let header = bytes(view.trace_header);
        match &mut parts.trace_header {
            Some(old) => replace_text(old, header),
            None => parts.trace_header = Some(abi::text(header).into_owned()),
        }
        parts.trace = trace_from_view(view);
    } else {
        parts.trace_header = None;
        parts.trace = None;
    }
    set_optional_text(&mut parts.tenant_id, bytes(view.tenant_id));
    // Never set on a plugin's side (they stay on the host), so already
    // empty: client context, identity, credentials, platform headers.
}

/// The trace `view` carries in W3C form, if any.
pub(crate) fn trace_from_view(view: &ContextView) -> Option<TraceContext> {
    (view.has_trace != 0).then_some(TraceContext {
        trace_id: view.trace_id,
        parent_id: view.parent_id,
        sampled: view.trace_flags & abi::TRACE_SAMPLED != 0,
    })
}

/// Makes `text` the text of `bytes` (invalid UTF-8 replaced), in place,
/// keeping it untouched when it already is.
fn replace_text(text: &mut String, bytes: &[u8]) {
    if text.as_bytes() != bytes {
        set_text(text, bytes);
    }
}

/// Makes `text` the text of `bytes` (invalid UTF-8 replaced), in place,
/// without first comparing: for text that differs on every invocation.
fn set_text(text: &mut String, bytes: &[u8]) {
    text.clear();
    text.push_str(&abi::text(bytes));
}

/// Makes `slot` the text of `bytes`, `None` when empty, in place.
fn set_optional_text(slot: &mut Option<String>, bytes: &[u8]) {
    match slot {
        _ if bytes.is_empty() => *slot = None,
        Some(text) => replace_text(text, bytes),
        None => *slot = Some(abi::text(bytes).into_owned()),
    }
}

/// A copy of the outcome `view` shows.
pub(crate) fn outcome_from_view(view: &OutcomeView) -> Outcome {
    if view.is_error == 0 {
        // SAFETY: the view's slices are valid for the call (the ABI).
        let (body, content_type) = unsafe { (view.body.as_bytes(), view.content_type.as_bytes()) };
        Outcome::Response(Response::with_content_type(
            Bytes::copy_from_slice(body),
            abi::content_type(content_type),
        ))
    } else {
        // SAFETY: the view's slices are valid for the call (the ABI).
        let (error_type, message) =
            unsafe { (view.error_type.to_text(), view.error_message.to_text()) };
        Outcome::Error(InvocationError::new(
            abi::error_kind::from_code(view.error_kind),
            error_type.into_owned(),
            message.into_owned(),
        ))
    }
}

/// Whether `outcome` is what [`outcome_from_view`] makes of `view`: the same
/// bytes, compared without copying.
pub(crate) fn shows(view: &OutcomeView, outcome: &Outcome) -> bool {
    // SAFETY: the view's slices are valid for the call (the ABI).
    let bytes = |slice: ByteSlice| unsafe { slice.as_bytes() };
    match outcome {
        Outcome::Response(response) => {
            view.is_error == 0
                && response.status().is_none()
                && response.body().as_ref() == bytes(view.body)
                && match bytes(view.content_type) {
                    b"" => b"application/json",
                    other => other,
                } == response.content_type().as_bytes()
        }
        Outcome::Error(error) => {
            view.is_error != 0
                && abi::error_kind::from_code(view.error_kind) == error.kind()
                && error.error_type().as_bytes() == bytes(view.error_type)
                && error.message().as_bytes() == bytes(view.error_message)
        }
    }
}
