//! [`ExportedTable`], the table [`export_plugin!`](crate::export_plugin)
//! and [`export_view_plugin!`](crate::export_view_plugin) export, and the
//! functions it points at for a [`Hook`]: C calls from the host become
//! `Hook` calls on the plugin's own copy of the engine's types, and panics
//! are caught at the boundary and returned as failures (an unwind must
//! never cross `extern "C"`).
//!
//! What a Rust plugin sees: the context is rebuilt from the C view (request
//! id, function facts, deadline, sequence, trigger, ARN, trace, tenant),
//! once per invocation and shared by its phases; its cancellation token,
//! extensions, platform headers, client context, identity and credentials
//! stay on the host. The event and the response are copied in (a hook owns
//! them), and handed back only if the hook changed them.
//!
//! [`ExportedTable::for_hook`] wires only the phases a plugin declares;
//! the host skips the NULL ones entirely. The asynchronous phases run
//! to completion on the calling thread: a plugin's own copy of tokio has no
//! runtime, so a plugin that needs timers or I/O there brings its own.

use std::ffi::c_void;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use runtime_engine::panic;
use runtime_engine::plugin::abi::{
    self, ByteSlice, ContextView, FunctionView, OutcomeView, Output, PluginTable, ABI_VERSION,
};
use runtime_engine::{BoxError, Ending, Flow, Hook, Phase, PhaseTiming, Phases, TimingsReport};

use crate::boundary::{block_on, guarded, send_changed_outcome, send_outcome};
use crate::instance::{instance, Instance};

/// A plugin's constructor, from its configuration (JSON text, empty if
/// none). The table carries it as its `data`, a plain `fn` pointer, so a
/// `static` table of any hook type needs no generic `static`.
pub(crate) type NewPlugin<H, E> = fn(&str) -> Result<H, E>;

/// Every function of a table, before [`ExportedTable::gated`] leaves out
/// the phases a plugin does not declare.
pub(crate) struct Functions {
    pub(crate) create: abi::CreateFn,
    pub(crate) destroy: abi::DestroyFn,
    pub(crate) runtime_start: abi::FunctionPhaseFn,
    pub(crate) function_start: abi::FunctionPhaseFn,
    pub(crate) before_invoke: abi::BeforeInvokeFn,
    pub(crate) after_invoke: abi::OutcomePhaseFn,
    pub(crate) after_response: abi::OutcomePhaseFn,
    pub(crate) freeze: abi::InstancePhaseFn,
    pub(crate) close: abi::InstancePhaseFn,
    pub(crate) end: abi::EndFn,
}

/// A [`PluginTable`] that can live in a `static` of the plugin.
#[derive(Debug)]
pub struct ExportedTable(PluginTable);

// SAFETY: the table is immutable; its pointers are to a `'static` name and
// to functions (the constructor among them), so sharing it between threads
// is sharing `&'static` data.
unsafe impl Sync for ExportedTable {}

impl ExportedTable {
    /// The table of the plugin `name`, a [`Hook`] made by `new` from its
    /// configuration (JSON text, empty if none), with a function for each
    /// phase in `phases` and NULL for the others, which the host then
    /// neither calls nor times. `create` and `destroy` are always wired;
    /// [`Phase::Invoke`] (the handler) has no table entry and is ignored.
    pub const fn for_hook<H: Hook, E: Into<BoxError>>(
        name: &'static str,
        new: NewPlugin<H, E>,
        phases: Phases,
    ) -> Self {
        ExportedTable::gated(
            name,
            new as *const c_void,
            phases,
            Functions {
                create: create::<H, E>,
                destroy,
                runtime_start,
                function_start,
                before_invoke,
                after_invoke,
                after_response,
                freeze,
                close,
                end,
            },
        )
    }

    /// The table of `all`, with `name` and `data`, and NULL for the phases
    /// outside `phases`.
    pub(crate) const fn gated(
        name: &'static str,
        data: *const c_void,
        phases: Phases,
        all: Functions,
    ) -> Self {
        // A phase outside `phases` gets NULL: the host neither calls nor times it.
        macro_rules! gated {
            ($field:ident, $phase:ident) => {
                if phases.contains(Phase::$phase) {
                    Some(all.$field)
                } else {
                    None
                }
            };
        }
        ExportedTable(PluginTable {
            abi_version: ABI_VERSION,
            size: std::mem::size_of::<PluginTable>() as u32,
            name: ByteSlice::from_str(name),
            data,
            create: Some(all.create),
            destroy: Some(all.destroy),
            runtime_start: gated!(runtime_start, RuntimeStart),
            function_start: gated!(function_start, FunctionStart),
            before_invoke: gated!(before_invoke, BeforeInvoke),
            after_invoke: gated!(after_invoke, AfterInvoke),
            after_response: gated!(after_response, AfterResponse),
            freeze: gated!(freeze, Freeze),
            close: gated!(close, Close),
            end: gated!(end, End),
        })
    }

    /// The table itself, for tests that run a plugin compiled in.
    #[cfg(test)]
    pub(crate) fn table(&self) -> PluginTable {
        self.0
    }

    /// What the entry symbol returns: the table, or null for a host that
    /// speaks another ABI version.
    pub fn entry(&'static self, host_abi_version: u32) -> *const PluginTable {
        if host_abi_version == ABI_VERSION {
            &self.0
        } else {
            std::ptr::null()
        }
    }
}

unsafe extern "C" fn create<H: Hook, E: Into<BoxError>>(
    data: *const c_void,
    config: ByteSlice,
    output: *mut Output,
    instance: *mut *mut c_void,
) -> i32 {
    // SAFETY: forwarded: the ABI's arguments, and `data` from `for_hook`.
    unsafe {
        create_instance::<H, E, _>(data, config, output, instance, |hook| {
            Instance::new(Box::new(hook))
        })
    }
}

/// `create` for either API: runs the constructor the table carries as
/// `data` on the configuration and hands the host `wrap` of the hook, boxed.
///
/// # Safety
/// `data` must be the `NewPlugin<H, E>` a table constructor cast to a data
/// pointer; the other arguments are the ABI's for `create`.
pub(crate) unsafe fn create_instance<H, E: Into<BoxError>, T>(
    data: *const c_void,
    config: ByteSlice,
    output: *mut Output,
    instance: *mut *mut c_void,
    wrap: impl FnOnce(H) -> T,
) -> i32 {
    panic::install_hook();
    guarded(output, || {
        // SAFETY: `data` is a `NewPlugin<H, E>` (this function's contract),
        // and function and data pointers have one size on every target Rust
        // builds `cdylib`s for.
        let new = unsafe { std::mem::transmute::<*const c_void, NewPlugin<H, E>>(data) };
        // SAFETY: valid for the call (the ABI).
        let config = std::str::from_utf8(unsafe { config.as_bytes() })
            .map_err(|_| "its configuration is not UTF-8 text")?;
        let made = Box::new(wrap(new(config).map_err(Into::into)?));
        // SAFETY: the host passes a writable pointer for the instance.
        unsafe { *instance = Box::into_raw(made).cast() };
        Ok(abi::STATUS_CONTINUE)
    })
}

unsafe extern "C" fn destroy(instance: *mut c_void) {
    if !instance.is_null() {
        // SAFETY: made by `create` with `Box::into_raw`, destroyed once.
        drop(unsafe { Box::from_raw(instance.cast::<Instance>()) });
    }
}

unsafe extern "C" fn runtime_start(
    this: *mut c_void,
    function: *const FunctionView,
    output: *mut Output,
) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance and a view valid for the call (the ABI).
        let (this, function) = unsafe { (instance(this), &*function) };
        let function = this.function(function);
        this.hook.on_runtime_start(function)?;
        Ok(abi::STATUS_CONTINUE)
    })
}

unsafe extern "C" fn function_start(
    this: *mut c_void,
    function: *const FunctionView,
    output: *mut Output,
) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance and a view valid for the call (the ABI).
        let (this, function) = unsafe { (instance(this), &*function) };
        let function = this.function(function).clone();
        block_on(this.hook.on_function_start(&function))?;
        Ok(abi::STATUS_CONTINUE)
    })
}

unsafe extern "C" fn before_invoke(
    this: *mut c_void,
    context: *const ContextView,
    event: ByteSlice,
    output: *mut Output,
) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance and views valid for the call (the ABI).
        let (this, view, event) = unsafe { (instance(this), &*context, event.as_bytes()) };
        let flow = this.with_invocation(view, event, |invocation| {
            let flow = this.hook.on_before_invoke(invocation)?;
            // Compared by content: an address says nothing once the hook
            // has dropped the original.
            if invocation.payload != event {
                // SAFETY: the host's output, valid for the call (the ABI).
                let out = unsafe { &*output };
                // SAFETY: the host's own callback, with a slice borrowed for the call.
                unsafe { (out.set_event)(out.host, ByteSlice::new(&invocation.payload)) };
            }
            Ok::<_, BoxError>(flow)
        })?;
        match flow {
            Flow::Continue => Ok(abi::STATUS_CONTINUE),
            Flow::Respond(outcome) => {
                // SAFETY: the host's output, valid for the call (the ABI).
                send_outcome(unsafe { &*output }, &outcome);
                Ok(abi::STATUS_RESPOND)
            }
        }
    })
}

unsafe extern "C" fn after_invoke(
    this: *mut c_void,
    context: *const ContextView,
    outcome: *const OutcomeView,
    output: *mut Output,
) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance and views valid for the call (the ABI).
        let (this, context, view) = unsafe { (instance(this), &*context, &*outcome) };
        this.with_outcome(context, view, true, |context, outcome| {
            this.hook.on_after_invoke(context, outcome)?;
            // SAFETY: the host's output, valid for the call (the ABI).
            send_changed_outcome(unsafe { &*output }, view, outcome);
            Ok(abi::STATUS_CONTINUE)
        })
    })
}

unsafe extern "C" fn after_response(
    this: *mut c_void,
    context: *const ContextView,
    outcome: *const OutcomeView,
    output: *mut Output,
) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance and views valid for the call (the ABI).
        let (this, context, view) = unsafe { (instance(this), &*context, &*outcome) };
        this.with_outcome(context, view, false, |context, outcome| {
            block_on(this.hook.on_after_response(context, outcome))?;
            Ok(abi::STATUS_CONTINUE)
        })
    })
}

unsafe extern "C" fn freeze(this: *mut c_void, output: *mut Output) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance (the ABI).
        block_on(unsafe { instance(this) }.hook.on_freeze())?;
        Ok(abi::STATUS_CONTINUE)
    })
}

unsafe extern "C" fn close(this: *mut c_void, output: *mut Output) -> i32 {
    guarded(output, || {
        // SAFETY: a live instance (the ABI).
        block_on(unsafe { instance(this) }.hook.on_close())?;
        Ok(abi::STATUS_CONTINUE)
    })
}

unsafe extern "C" fn end(this: *mut c_void, exit_code: i32) {
    // The host keeps the timings; a plugin's `End` sees every phase as
    // never run.
    let timings = TimingsReport {
        phases: Phase::ALL
            .into_iter()
            .map(|phase| PhaseTiming {
                phase,
                count: 0,
                total: Duration::ZERO,
                max: Duration::ZERO,
                steps: Vec::new(),
            })
            .collect(),
    };
    let ending = Ending::new(exit_code, timings);
    // `End` cannot report a failure: a panic is caught and dropped.
    // SAFETY: a live instance (the ABI).
    let _ = panic::catch(AssertUnwindSafe(|| {
        unsafe { instance(this) }.hook.on_end(&ending)
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Noop;
    impl Hook for Noop {}

    fn new_noop(_config: &str) -> Result<Noop, BoxError> {
        Ok(Noop)
    }

    #[test]
    fn a_table_wires_only_the_declared_phases() {
        static DECLARED: ExportedTable = ExportedTable::for_hook(
            "noop",
            new_noop,
            Phases::of(&[Phase::BeforeInvoke, Phase::AfterInvoke]),
        );
        let table = &DECLARED.0;
        assert!(table.create.is_some() && table.destroy.is_some());
        assert!(table.before_invoke.is_some() && table.after_invoke.is_some());
        assert!(table.runtime_start.is_none() && table.function_start.is_none());
        assert!(table.after_response.is_none() && table.freeze.is_none());
        assert!(table.close.is_none() && table.end.is_none());

        static NONE: ExportedTable = ExportedTable::for_hook("noop", new_noop, Phases::NONE);
        assert!(NONE.0.create.is_some() && NONE.0.before_invoke.is_none());

        static ALL: ExportedTable = ExportedTable::for_hook("noop", new_noop, Phases::ALL);
        let table = &ALL.0;
        assert!(table.runtime_start.is_some() && table.freeze.is_some() && table.end.is_some());
    }
}
