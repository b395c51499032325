//! The plugin side of the ABI for a [`ViewHook`]: one set of `extern "C"`
//! functions per hook type, so each phase calls the hook's method directly
//! (a default one inlines to nothing) with the host's views wrapped, not
//! copied. Panics are caught at the boundary as for a `Hook`.

use std::ffi::c_void;
use std::panic::AssertUnwindSafe;

use super::abi::{self, ByteSlice, ContextView, FunctionView, OutcomeView, Output};
use super::guest::{guarded, FunctionCache};
use super::raw;
use super::view::{AfterInvokeCall, AfterResponseCall, BeforeInvokeCall, ContextRef, ViewHook};
use crate::error::BoxError;
use crate::panic;

/// A [`ViewHook`]'s constructor as the table's `data`: a plain `fn`, so a
/// `static` table of any hook type needs no generic `static`.
pub(crate) type NewViewHook<H, E> = fn(&str) -> Result<H, E>;

/// One instance: the hook and the function's facts once seen.
struct ViewInstance<H> {
    hook: H,
    function: FunctionCache,
}

/// # Safety
/// `instance` must come from [`create`] for the same `H` and not yet be
/// destroyed.
unsafe fn instance<'a, H>(instance: *mut c_void) -> &'a ViewInstance<H> {
    // SAFETY: forwarded from this function's contract.
    unsafe { &*instance.cast::<ViewInstance<H>>() }
}

/// # Safety
/// The ABI's for a context view: valid for the call, its `function` too.
unsafe fn context<'a, H>(this: &'a ViewInstance<H>, view: &'a ContextView) -> ContextRef<'a> {
    // SAFETY: `function` points at a view valid for the call (the ABI).
    let function = this.function.get(unsafe { &*view.function });
    ContextRef::new(view, function)
}

pub(crate) unsafe extern "C" fn create<H: ViewHook, E: Into<BoxError>>(
    data: *const c_void,
    config: ByteSlice,
    output: *mut Output,
    instance: *mut *mut c_void,
) -> i32 {
    panic::install_hook();
    guarded(output, || {
        // SAFETY: `data` is the `NewViewHook<H, E>` this table was made
        // with (`ExportedTable::for_view_hook`), cast to a data pointer, and
        // function and data pointers have one size on every target Rust
        // builds `cdylib`s for.
        let new = unsafe { std::mem::transmute::<*const c_void, NewViewHook<H, E>>(data) };
        // SAFETY: valid for the call (the ABI).
        let config = std::str::from_utf8(unsafe { raw::bytes(config) })
            .map_err(|_| "its configuration is not UTF-8 text")?;
        let made = Box::new(ViewInstance {
            hook: new(config).map_err(Into::into)?,
            function: FunctionCache::default(),
        });
        // SAFETY: the host passes a writable pointer for the instance.
        unsafe { *instance = Box::into_raw(made).cast() };
        Ok(abi::STATUS_CONTINUE)
    })
}

pub(crate) unsafe extern "C" fn destroy<H: ViewHook>(instance: *mut c_void) {
    if !instance.is_null() {
        // SAFETY: made by `create::<H>` with `Box::into_raw`, destroyed once.
        drop(unsafe { Box::from_raw(instance.cast::<ViewInstance<H>>()) });
    }
}

pub(crate) unsafe extern "C" fn runtime_start<H: ViewHook>(
    this: *mut c_void,
    function: *const FunctionView,
    output: *mut Output,
) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance and a view valid for the call (the ABI).
        let (this, function) = unsafe { (instance::<H>(this), &*function) };
        this.hook.on_runtime_start(this.function.get(function))?;
        Ok(abi::STATUS_CONTINUE)
    })
}

pub(crate) unsafe extern "C" fn function_start<H: ViewHook>(
    this: *mut c_void,
    function: *const FunctionView,
    output: *mut Output,
) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance and a view valid for the call (the ABI).
        let (this, function) = unsafe { (instance::<H>(this), &*function) };
        this.hook.on_function_start(this.function.get(function))?;
        Ok(abi::STATUS_CONTINUE)
    })
}

pub(crate) unsafe extern "C" fn before_invoke<H: ViewHook>(
    this: *mut c_void,
    view: *const ContextView,
    event: ByteSlice,
    output: *mut Output,
) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance, views and an output valid for the call
        // (the ABI).
        let (this, view, event, out) =
            unsafe { (instance::<H>(this), &*view, raw::bytes(event), &*output) };
        // SAFETY: the ABI's context view.
        let context = unsafe { context(this, view) };
        let mut call = BeforeInvokeCall::new(context, event, out);
        this.hook.on_before_invoke(&mut call)?;
        Ok(if call.responded() {
            abi::STATUS_RESPOND
        } else {
            abi::STATUS_CONTINUE
        })
    })
}

pub(crate) unsafe extern "C" fn after_invoke<H: ViewHook>(
    this: *mut c_void,
    view: *const ContextView,
    outcome: *const OutcomeView,
    output: *mut Output,
) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance, views and an output valid for the call
        // (the ABI).
        let (this, view, outcome, out) =
            unsafe { (instance::<H>(this), &*view, &*outcome, &*output) };
        // SAFETY: the ABI's context view.
        let context = unsafe { context(this, view) };
        this.hook
            .on_after_invoke(&mut AfterInvokeCall::new(context, outcome, out))?;
        Ok(abi::STATUS_CONTINUE)
    })
}

pub(crate) unsafe extern "C" fn after_response<H: ViewHook>(
    this: *mut c_void,
    view: *const ContextView,
    outcome: *const OutcomeView,
    output: *mut Output,
) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance and views valid for the call (the ABI).
        let (this, view, outcome) = unsafe { (instance::<H>(this), &*view, &*outcome) };
        // SAFETY: the ABI's context view.
        let context = unsafe { context(this, view) };
        this.hook
            .on_after_response(&AfterResponseCall::new(context, outcome))?;
        Ok(abi::STATUS_CONTINUE)
    })
}

pub(crate) unsafe extern "C" fn freeze<H: ViewHook>(this: *mut c_void, output: *mut Output) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance (the ABI).
        unsafe { instance::<H>(this) }.hook.on_freeze()?;
        Ok(abi::STATUS_CONTINUE)
    })
}

pub(crate) unsafe extern "C" fn close<H: ViewHook>(this: *mut c_void, output: *mut Output) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance (the ABI).
        unsafe { instance::<H>(this) }.hook.on_close()?;
        Ok(abi::STATUS_CONTINUE)
    })
}

pub(crate) unsafe extern "C" fn end<H: ViewHook>(this: *mut c_void, exit_code: i32) {
    // `End` cannot report a failure: a panic is caught and dropped.
    let _ = panic::catch(AssertUnwindSafe(|| {
        // SAFETY: a live instance (the ABI).
        unsafe { instance::<H>(this) }.hook.on_end(exit_code)
    }));
}
