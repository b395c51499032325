//! The plugin C ABI, version [`ABI_VERSION`]: the `#[repr(C)]` types that
//! cross between the runtime (the host) and a plugin, mirrored one for one
//! by `plugin-sdk/include/light_runtime_plugin.h` and described in
//! `docs/plugin-abi.md`.
//!
//! A plugin exports one function, [`ENTRY_SYMBOL`], of type [`EntryFn`]; it
//! returns a [`PluginTable`]: the ABI version, the plugin's name and one
//! nullable function pointer per lifecycle phase. Only these structs and
//! borrowed, length-prefixed bytes ([`ByteSlice`]) cross the boundary;
//! whatever a plugin wants to hand back (a rewritten event, a response, an
//! error, a failure message) it gives to the host's [`Output`] callbacks,
//! which copy it, so no allocation ever changes sides.
//!
//! Both sides build on this module alone (the host in
//! [`plugin`](super), a Rust plugin through `light-runtime-plugin-sdk`),
//! so it also holds what they must agree on beyond the layout: each
//! engine enum's code both ways ([`platform`], [`trigger`],
//! [`error_kind`]), the reading of a content type ([`content_type`]), of
//! text ([`text`]) and of a [`ByteSlice`].

use std::borrow::Cow;
use std::ffi::c_void;

mod codes;

pub use codes::{content_type, error_kind, platform, trigger};

/// The ABI version this engine speaks. A plugin whose table says otherwise
/// is refused.
///
/// Version 2 replaced version 1's `traceparent` text in [`ContextView`] with
/// the trace's bytes (`has_trace`, `trace_flags`, `trace_id`, `parent_id`),
/// so no text is formatted or parsed per call.
pub const ABI_VERSION: u32 = 2;

/// The name of the one symbol a plugin exports.
pub const ENTRY_SYMBOL: &str = "light_runtime_plugin";

/// The entry symbol's type: given the host's ABI version, returns the
/// plugin's table (static, never freed), or null if the plugin cannot serve
/// that version.
pub type EntryFn = unsafe extern "C" fn(host_abi_version: u32) -> *const PluginTable;

/// A phase function's verdict: go on. The only success status outside
/// `BeforeInvoke`.
pub const STATUS_CONTINUE: i32 = 0;
/// `BeforeInvoke` only: answer in place of the handler with the response or
/// error given to [`Output`].
pub const STATUS_RESPOND: i32 = 1;
/// The phase failed; the message given to [`Output::fail`] says why.
pub const STATUS_FAILED: i32 = -1;

/// Borrowed bytes: `len` bytes at `ptr`, valid for the duration of the call
/// they are passed to (or, for a table's name, as long as the library is
/// loaded). `ptr` may be null when `len` is 0. Text is UTF-8, not
/// NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ByteSlice {
    /// The first byte.
    pub ptr: *const u8,
    /// How many bytes.
    pub len: usize,
}

impl ByteSlice {
    /// No bytes.
    pub const EMPTY: ByteSlice = ByteSlice {
        ptr: std::ptr::null(),
        len: 0,
    };

    /// Borrows `bytes`.
    pub const fn new(bytes: &[u8]) -> ByteSlice {
        ByteSlice {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }

    /// Borrows `text`.
    pub const fn from_str(text: &str) -> ByteSlice {
        ByteSlice::new(text.as_bytes())
    }

    /// Borrows `text`, or no bytes for `None`.
    pub fn from_option(text: Option<&str>) -> ByteSlice {
        text.map_or(ByteSlice::EMPTY, ByteSlice::from_str)
    }

    /// The bytes this slice points at.
    ///
    /// # Safety
    /// `ptr` must point at `len` initialised bytes that stay valid and
    /// unchanged for `'a`, or `len` must be 0: what the ABI promises for
    /// the slices passed to a call, for the call.
    pub unsafe fn as_bytes<'a>(self) -> &'a [u8] {
        if self.len == 0 || self.ptr.is_null() {
            return &[];
        }
        // SAFETY: non-null with a non-zero length, and the caller vouches for
        // `len` readable bytes living for 'a (the ABI's rule for every slice).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The text this slice points at; invalid UTF-8 is replaced, never
    /// trusted.
    ///
    /// # Safety
    /// As for [`as_bytes`](Self::as_bytes).
    pub unsafe fn to_text<'a>(self) -> Cow<'a, str> {
        // SAFETY: forwarded from this function's own contract.
        text(unsafe { self.as_bytes() })
    }
}

/// `bytes` as text; invalid UTF-8 is replaced, never trusted.
pub fn text(bytes: &[u8]) -> Cow<'_, str> {
    // Checked: an unchecked shortcut for ASCII saved 40 instructions per
    // invocation of a `Hook` plugin (plugin_echo, libnoop.so +2,579 against
    // +2,539), too little for `unsafe`. `from_utf8` checks ASCII a word at
    // a time; `from_utf8_lossy` alone walks byte by byte (+2,804), so it is
    // only the fallback.
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The function's static facts, as a C view of
/// [`FunctionInfo`](crate::FunctionInfo). Absent text is empty.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct FunctionView {
    /// A [`platform`] code.
    pub platform: u32,
    /// Memory limit in MiB; 0 when the platform does not say.
    pub memory_mb: u32,
    /// Invocations the platform may send at once.
    pub max_concurrency: u32,
    /// The function's name.
    pub name: ByteSlice,
    /// The deployed version.
    pub version: ByteSlice,
    /// The cloud region.
    pub region: ByteSlice,
    /// The cloud account id.
    pub account_id: ByteSlice,
}

/// One invocation's context, as a C view of [`Context`](crate::Context).
/// Absent text is empty. Credentials never cross.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ContextView {
    /// The function's facts; valid for the call.
    pub function: *const FunctionView,
    /// The platform's id for this invocation.
    pub request_id: ByteSlice,
    /// The deadline as Unix epoch milliseconds; 0 when there is none.
    pub deadline_epoch_ms: u64,
    /// 1 for the instance's first invocation (the cold start), then 2, 3, ...
    pub sequence: u64,
    /// A [`trigger`] code.
    pub trigger: u32,
    /// 1 for the cold start, else 0.
    pub cold_start: u32,
    /// The ARN the caller used (AWS).
    pub invoked_function_arn: ByteSlice,
    /// The platform's trace header as received.
    pub trace_header: ByteSlice,
    /// 1 when the trace header parsed and the three fields below hold it
    /// (W3C trace context), else 0 and they are zero.
    pub has_trace: u32,
    /// The W3C trace flags: bit 0 ([`TRACE_SAMPLED`]) set when the caller
    /// sampled the trace.
    pub trace_flags: u32,
    /// The 16-byte trace id.
    pub trace_id: [u8; 16],
    /// The 8-byte id of the caller's span, this invocation's parent.
    pub parent_id: [u8; 8],
    /// The tenant id (AWS tenant isolation).
    pub tenant_id: ByteSlice,
}

/// [`ContextView::trace_flags`]: the caller sampled the trace.
pub const TRACE_SAMPLED: u32 = 1;

/// How an invocation ended, as a C view of [`Outcome`](crate::Outcome).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct OutcomeView {
    /// 0: a response (`body`, `content_type`); 1: an error (`error_*`).
    pub is_error: u32,
    /// An [`error_kind`] code, for errors.
    pub error_kind: u32,
    /// The response body.
    pub body: ByteSlice,
    /// The response's content type.
    pub content_type: ByteSlice,
    /// The error type, e.g. `Function.Panic`.
    pub error_type: ByteSlice,
    /// The error message.
    pub error_message: ByteSlice,
}

/// Sets bytes on the host; the host copies them before returning.
pub type SetFn = unsafe extern "C" fn(host: *mut c_void, bytes: ByteSlice);
/// Sets two pieces of text on the host; the host copies them.
pub type SetPairFn = unsafe extern "C" fn(host: *mut c_void, first: ByteSlice, second: ByteSlice);

/// Where a phase function hands results back: callbacks into the host,
/// valid only during the call. Pass `host` as the first argument.
#[repr(C)]
#[derive(Debug)]
pub struct Output {
    /// The host's state for this call; opaque to the plugin.
    pub host: *mut c_void,
    /// `BeforeInvoke`: replaces the event the handler will see.
    pub set_event: SetFn,
    /// `BeforeInvoke` with [`STATUS_RESPOND`], or `AfterInvoke`: the
    /// response becomes `(body, content_type)`; an empty content type means
    /// `application/json`.
    pub set_response: SetPairFn,
    /// `BeforeInvoke` with [`STATUS_RESPOND`], or `AfterInvoke`: the
    /// outcome becomes the error `(error_type, message)`.
    pub set_error: SetPairFn,
    /// Any phase returning [`STATUS_FAILED`]: why it failed.
    pub fail: SetFn,
}

/// Creates a plugin instance from its configuration (JSON text, possibly
/// empty); writes it to `*instance` and returns [`STATUS_CONTINUE`], or
/// calls `fail` and returns [`STATUS_FAILED`].
pub type CreateFn = unsafe extern "C" fn(
    data: *const c_void,
    config: ByteSlice,
    output: *mut Output,
    instance: *mut *mut c_void,
) -> i32;
/// Frees an instance made by [`CreateFn`].
pub type DestroyFn = unsafe extern "C" fn(instance: *mut c_void);
/// `RuntimeStart` and `FunctionStart`.
pub type FunctionPhaseFn = unsafe extern "C" fn(
    instance: *mut c_void,
    function: *const FunctionView,
    output: *mut Output,
) -> i32;
/// `BeforeInvoke`: sees the context and the event.
pub type BeforeInvokeFn = unsafe extern "C" fn(
    instance: *mut c_void,
    context: *const ContextView,
    event: ByteSlice,
    output: *mut Output,
) -> i32;
/// `AfterInvoke` and `AfterResponse`: see the context and the outcome.
pub type OutcomePhaseFn = unsafe extern "C" fn(
    instance: *mut c_void,
    context: *const ContextView,
    outcome: *const OutcomeView,
    output: *mut Output,
) -> i32;
/// `Freeze` and `Close`.
pub type InstancePhaseFn = unsafe extern "C" fn(instance: *mut c_void, output: *mut Output) -> i32;
/// `End`: last words with the exit code about to be used.
pub type EndFn = unsafe extern "C" fn(instance: *mut c_void, exit_code: i32);

/// What the entry symbol returns: who the plugin is and one function per
/// phase. A null phase function means "nothing to do", and costs the host
/// nothing to skip.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PluginTable {
    /// Must equal the host's [`ABI_VERSION`].
    pub abi_version: u32,
    /// `sizeof` the table as the plugin was built, so later versions can
    /// append fields.
    pub size: u32,
    /// The plugin's name, used in timings, logs and error messages.
    pub name: ByteSlice,
    /// Passed back to `create` untouched (the Rust SDK's constructor).
    pub data: *const c_void,
    /// Makes an instance. Required.
    pub create: Option<CreateFn>,
    /// Frees an instance; may be null.
    pub destroy: Option<DestroyFn>,
    /// `RuntimeStart`: process start. Failure is an init error.
    pub runtime_start: Option<FunctionPhaseFn>,
    /// `FunctionStart`: the platform's init. Failure is an init error.
    pub function_start: Option<FunctionPhaseFn>,
    /// `BeforeInvoke`: may rewrite the event or answer in place of the handler.
    pub before_invoke: Option<BeforeInvokeFn>,
    /// `AfterInvoke`: may rewrite the response or the error.
    pub after_invoke: Option<OutcomePhaseFn>,
    /// `AfterResponse`: after the platform has the response.
    pub after_response: Option<OutcomePhaseFn>,
    /// `Freeze`: the instance may be frozen once this returns.
    pub freeze: Option<InstancePhaseFn>,
    /// `Close`: shutdown.
    pub close: Option<InstancePhaseFn>,
    /// `End`: last words.
    pub end: Option<EndFn>,
}

// The C layout on 64-bit targets, asserted with the same numbers in
// `plugins/c-envelope/envelope.c`: a field moved on one side only fails a
// build rather than a plugin.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<ContextView>() == 128);
    assert!(std::mem::offset_of!(ContextView, has_trace) == 80);
    assert!(std::mem::offset_of!(ContextView, trace_id) == 88);
    assert!(std::mem::offset_of!(ContextView, tenant_id) == 112);
    assert!(std::mem::size_of::<OutcomeView>() == 72);
    assert!(std::mem::size_of::<PluginTable>() == 112);
};
