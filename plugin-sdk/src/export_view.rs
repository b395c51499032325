//! The plugin side of the ABI for a [`ViewHook`]: one set of `extern "C"`
//! functions per hook type, so each phase calls the hook's method directly
//! (a default one inlines to nothing) with the host's views wrapped, not
//! copied. Panics are caught at the boundary as for a `Hook`.

use std::ffi::c_void;
use std::panic::AssertUnwindSafe;

use runtime_engine::panic;
use runtime_engine::plugin::abi::{
    self, ByteSlice, ContextView, FunctionView, OutcomeView, Output,
};
use runtime_engine::{BoxError, FunctionInfo, Phases};

use crate::boundary::guarded;
use crate::export::{create_instance, ExportedTable, Functions, NewPlugin};
use crate::instance::FunctionCache;
use crate::view_hook::{
    AfterInvokeCall, AfterResponseCall, BeforeInvokeCall, ContextRef, ViewHook,
};

impl ExportedTable {
    /// The table of the plugin `name`, written as a [`ViewHook`] and made
    /// by `new`, wired for `phases` as in [`for_hook`](Self::for_hook).
    pub const fn for_view_hook<H: ViewHook, E: Into<BoxError>>(
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
                destroy: destroy::<H>,
                runtime_start: runtime_start::<H>,
                function_start: function_start::<H>,
                before_invoke: before_invoke::<H>,
                after_invoke: after_invoke::<H>,
                after_response: after_response::<H>,
                freeze: freeze::<H>,
                close: close::<H>,
                end: end::<H>,
            },
        )
    }
}

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
    // SAFETY: forwarded: the ABI's arguments, and `data` from
    // `ExportedTable::for_view_hook`.
    unsafe {
        create_instance::<H, E, _>(data, config, output, instance, |hook| ViewInstance {
            hook,
            function: FunctionCache::default(),
        })
    }
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
    // SAFETY: forwarded: the ABI's arguments for this phase.
    unsafe { function_phase::<H>(this, function, output, H::on_runtime_start) }
}

pub(crate) unsafe extern "C" fn function_start<H: ViewHook>(
    this: *mut c_void,
    function: *const FunctionView,
    output: *mut Output,
) -> i32 {
    // SAFETY: forwarded: the ABI's arguments for this phase.
    unsafe { function_phase::<H>(this, function, output, H::on_function_start) }
}

/// `RuntimeStart` or `FunctionStart`: `phase` with the function's facts.
///
/// # Safety
/// The ABI's arguments for these phases: a live instance of `H`, and a
/// view and an output valid for the call.
unsafe fn function_phase<H: ViewHook>(
    this: *mut c_void,
    function: *const FunctionView,
    output: *mut Output,
    phase: impl FnOnce(&H, &FunctionInfo) -> Result<(), BoxError>,
) -> i32 {
    guarded(output, || {
        // SAFETY: this function's contract.
        let (this, function) = unsafe { (instance::<H>(this), &*function) };
        phase(&this.hook, this.function.get(function))?;
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
            unsafe { (instance::<H>(this), &*view, event.as_bytes(), &*output) };
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
    // SAFETY: forwarded: the ABI's arguments for this phase.
    unsafe { instance_phase::<H>(this, output, H::on_freeze) }
}

pub(crate) unsafe extern "C" fn close<H: ViewHook>(this: *mut c_void, output: *mut Output) -> i32 {
    // SAFETY: forwarded: the ABI's arguments for this phase.
    unsafe { instance_phase::<H>(this, output, H::on_close) }
}

/// `Freeze` or `Close`: `phase` on the hook alone.
///
/// # Safety
/// The ABI's arguments for these phases: a live instance of `H` and an
/// output valid for the call.
unsafe fn instance_phase<H: ViewHook>(
    this: *mut c_void,
    output: *mut Output,
    phase: impl FnOnce(&H) -> Result<(), BoxError>,
) -> i32 {
    guarded(output, || {
        // SAFETY: this function's contract.
        phase(&unsafe { instance::<H>(this) }.hook)?;
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    use runtime_engine::plugin::{load_table, PluginHook};
    use runtime_engine::{
        BoxError, Context, ErrorKind, Flow, FunctionInfo, Hook, HookFuture, Invocation,
        InvocationError, Outcome, Phases, Platform, Response, TraceContext, Trigger,
    };

    use crate::boundary::block_on;
    use crate::export::ExportedTable;
    use crate::view_hook::{AfterInvokeCall, AfterResponseCall, BeforeInvokeCall, ViewHook};

    /// What the test hook saw, one line per call (tests run on threads of
    /// one process, so each test's lines carry its hook's label).
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    fn seen(label: &str) -> Vec<String> {
        let seen = SEEN.lock().unwrap();
        seen.iter()
            .filter_map(|line| line.strip_prefix(&format!("{label} ")))
            .map(str::to_owned)
            .collect()
    }

    /// Does what its configuration (`label action`) says.
    struct Told {
        label: String,
        action: String,
    }

    impl Told {
        fn new(config: &str) -> Result<Told, BoxError> {
            let (label, action) = config.split_once(' ').ok_or("config: `label action`")?;
            Ok(Told {
                label: label.to_owned(),
                action: action.to_owned(),
            })
        }

        fn saw(&self, line: String) {
            SEEN.lock().unwrap().push(format!("{} {line}", self.label));
        }
    }

    impl ViewHook for Told {
        fn on_before_invoke(&self, call: &mut BeforeInvokeCall<'_>) -> Result<(), BoxError> {
            let ctx = call.context();
            self.saw(format!(
                "BeforeInvoke {} seq={} cold={} trigger={:?} deadline={:?} arn={:?} trace={:?} \
                 tenant={:?} function={} event={}",
                ctx.request_id(),
                ctx.sequence(),
                ctx.is_cold_start(),
                ctx.trigger(),
                ctx.deadline_epoch_ms(),
                ctx.invoked_function_arn(),
                ctx.trace().map(|t| t.to_traceparent()),
                ctx.tenant_id(),
                ctx.function().name,
                String::from_utf8_lossy(call.event()),
            ));
            let owned = ctx.to_context();
            assert_eq!(owned.request_id(), ctx.request_id());
            assert_eq!(
                owned.invoked_function_arn(),
                ctx.invoked_function_arn().as_deref()
            );
            let epoch_ms =
                |deadline: Option<runtime_engine::Deadline>| deadline.map(|d| d.epoch_ms());
            assert_eq!(epoch_ms(owned.deadline()), epoch_ms(ctx.deadline()));
            assert!(ctx.remaining().is_some_and(|left| !left.is_zero()));
            match self.action.as_str() {
                "rewrite" => call.rewrite_event(b"{\"rewritten\":true}"),
                "respond" => call.respond(&Outcome::Error(InvocationError::handler(
                    "Policy.Rejected",
                    "no",
                ))),
                "panic" => panic!("told to panic"),
                "fail" => return Err("told to fail".into()),
                _ => {}
            }
            Ok(())
        }

        fn on_after_invoke(&self, call: &mut AfterInvokeCall<'_>) -> Result<(), BoxError> {
            let outcome = call.outcome();
            self.saw(format!(
                "AfterInvoke error={} kind={:?} type={} body={} content_type={}",
                outcome.is_error(),
                outcome.error_kind(),
                outcome.error_type(),
                String::from_utf8_lossy(outcome.body()),
                outcome.content_type(),
            ));
            assert_eq!(outcome.to_outcome().is_error(), outcome.is_error());
            if self.action == "replace" {
                call.replace(&Outcome::Response(Response::with_content_type(
                    &b"replaced"[..],
                    "text/plain",
                )));
            }
            Ok(())
        }

        fn on_after_response(&self, call: &AfterResponseCall<'_>) -> Result<(), BoxError> {
            let body = String::from_utf8_lossy(call.outcome().body()).into_owned();
            self.saw(format!("AfterResponse body={body}"));
            Ok(())
        }
    }

    static TABLE: ExportedTable = ExportedTable::for_view_hook("told", Told::new, Phases::ALL);

    fn plugin(config: &str) -> PluginHook {
        // SAFETY: the table and the plugin side are compiled into this test.
        unsafe { load_table(Path::new("/test/libtold.so"), TABLE.table(), config) }.unwrap()
    }

    fn invocation(request_id: &str, event: &'static [u8]) -> Invocation {
        let function = Arc::new(FunctionInfo::new(Platform::AwsLambda, "orders"));
        let context = Context::builder(function, request_id)
            .sequence(3)
            .trigger(Trigger::Http)
            .deadline(runtime_engine::Deadline::from_epoch_ms(4_000_000_000_000))
            .invoked_function_arn("arn:aws:lambda:eu-west-1:1:function:orders")
            .trace(
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
                Some(TraceContext {
                    trace_id: [0x11; 16],
                    parent_id: [0x22; 8],
                    sampled: true,
                }),
            )
            .tenant_id("acme")
            .build();
        Invocation::new(context, event)
    }

    #[test]
    fn a_view_hook_sees_the_host_values_and_its_answers_reach_the_host() {
        let told = plugin("rw rewrite");
        let mut inv = invocation("req-1", b"{\"n\":1}");
        assert!(matches!(
            told.on_before_invoke(&mut inv),
            Ok(Flow::Continue)
        ));
        assert_eq!(&inv.payload[..], b"{\"rewritten\":true}");
        assert_eq!(
            seen("rw"),
            [
                "BeforeInvoke req-1 seq=3 cold=false trigger=Http deadline=Some(4000000000000) \
                 arn=Some(\"arn:aws:lambda:eu-west-1:1:function:orders\") \
                 trace=Some(\"00-11111111111111111111111111111111-2222222222222222-01\") \
                 tenant=Some(\"acme\") function=orders event={\"n\":1}"
            ]
        );

        let replace = plugin("rp replace");
        let mut outcome = Outcome::Response(Response::json(&b"{\"ok\":1}"[..]));
        replace.on_after_invoke(&inv.context, &mut outcome).unwrap();
        let response = outcome.response().expect("still a response");
        assert_eq!(
            (&response.body()[..], response.content_type()),
            (&b"replaced"[..], "text/plain")
        );
        let mut error = Outcome::Error(InvocationError::handler("Boom", "bad"));
        replace.on_after_invoke(&inv.context, &mut error).unwrap();
        assert!(!error.is_error(), "an error replaced by a response");
        assert_eq!(
            seen("rp"),
            [
                "AfterInvoke error=false kind=None type= body={\"ok\":1} content_type=application/json",
                "AfterInvoke error=true kind=Some(Handler) type=Boom body= content_type=",
            ]
        );
        let future = replace.on_after_response(&inv.context, &outcome);
        assert!(futures_ready(future).is_ok());
        assert_eq!(seen("rp").last().unwrap(), "AfterResponse body=replaced");
    }

    #[test]
    fn a_view_hook_answers_in_place_of_the_handler() {
        let told = plugin("re respond");
        let mut inv = invocation("req-2", b"{}");
        let Ok(Flow::Respond(Outcome::Error(error))) = told.on_before_invoke(&mut inv) else {
            panic!("expected an answer");
        };
        assert_eq!(
            (error.error_type(), error.message()),
            ("Policy.Rejected", "no")
        );
        assert_eq!(&inv.payload[..], b"{}", "the event is untouched");
    }

    #[test]
    fn a_view_hooks_panic_or_error_fails_the_phase_naming_the_plugin() {
        for (action, words) in [
            ("panic", "panicked: told to panic"),
            ("fail", "told to fail"),
        ] {
            let told = plugin(&format!("pf {action}"));
            let mut inv = invocation("req-3", b"{}");
            let error = told.on_before_invoke(&mut inv).unwrap_err().to_string();
            assert!(error.contains(words), "{error}");
            assert!(
                error.contains("plugin `told` from /test/libtold.so"),
                "{error}"
            );
        }
        // SAFETY: the table and the plugin side are compiled into this test.
        let refused = unsafe { load_table(Path::new("/test/libtold.so"), TABLE.table(), "bad") };
        let refused = refused
            .expect_err("a bad configuration is refused")
            .to_string();
        assert!(refused.contains("config: `label action`"), "{refused}");
    }

    #[test]
    fn a_view_hook_kind_crosses_as_its_code() {
        let told = plugin("kind none");
        let ctx = invocation("req-4", b"{}").context;
        let mut outcome = Outcome::Error(InvocationError::new(ErrorKind::Timeout, "T", "late"));
        told.on_after_invoke(&ctx, &mut outcome).unwrap();
        assert_eq!(
            seen("kind"),
            ["AfterInvoke error=true kind=Some(Timeout) type=T body= content_type="]
        );
    }

    fn futures_ready(future: HookFuture<'_>) -> Result<(), BoxError> {
        block_on(future)
    }
}
