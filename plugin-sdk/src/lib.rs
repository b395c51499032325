//! What a light-runtime hook plugin links: implement the engine's [`Hook`]
//! trait, call [`export_plugin!`] once, build the crate as a `cdylib`, and
//! list the `.so` in the runtime's plugin configuration.
//!
//! This crate is the plugin's side of the boundary: the glue the macros
//! expand to, which turns the host's C calls into calls of a `Hook` (or a
//! [`ViewHook`]) and catches panics before they cross. The ABI types are
//! the engine's ([`runtime_engine::plugin::abi`]), so the host and every
//! plugin agree on one definition of the ABI by construction.
//!
//! # Layout
//! - [`export_plugin!`]: exports the entry symbol for a `Hook`, for every
//!   phase or only the ones it lists (`phases = [...]`). Panics in any
//!   phase are caught at the boundary and become that phase's failure.
//! - [`export_view_plugin!`]: the same for a [`ViewHook`], the borrowed
//!   API: its methods see the event, the outcome and the context as the
//!   host's views for the call ([`BeforeInvokeCall`], [`AfterInvokeCall`],
//!   [`AfterResponseCall`], [`ContextRef`], [`OutcomeRef`]), nothing
//!   copied. For plugins on the hot path; `Hook` is the one to start with.
//! - [`abi`]: the C ABI (re-exported from the engine), for reading or for
//!   writing a plugin by hand.
//! - `view_hook`: [`ViewHook`] and the views its methods get.
//! - The glue the macros expand to, private: `export` (the exported table
//!   and a `Hook`'s functions), `export_view` (a `ViewHook`'s), `instance`
//!   (a `Hook` plugin's state between calls), `from_views` (engine values
//!   rebuilt from the host's views), `boundary` (panics caught, hook
//!   futures run, outcomes handed back). Each has `unsafe` code, the
//!   guest's side of calls the compiler cannot check, with a `// SAFETY:`
//!   comment on every block.
//! - Re-exports: [`Hook`], [`HookFuture`], [`Flow`], [`Invocation`],
//!   [`Outcome`], [`Response`], [`InvocationError`], [`Context`],
//!   [`FunctionInfo`], [`Ending`], [`Phase`], [`Phases`], [`BoxError`].
//!
//! # Example
//! ```
//! use light_runtime_plugin_sdk::{export_plugin, BoxError, Context, Hook, Outcome};
//!
//! /// Counts failed invocations.
//! #[derive(Default)]
//! struct CountErrors(std::sync::atomic::AtomicU64);
//!
//! impl Hook for CountErrors {
//!     fn on_after_invoke(&self, _ctx: &Context, outcome: &mut Outcome) -> Result<(), BoxError> {
//!         if outcome.is_error() {
//!             self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
//!         }
//!         Ok(())
//!     }
//! }
//!
//! // With no configuration: a value made fresh for each instance. Only the
//! // phase it implements is exported; the runtime skips it in the others.
//! export_plugin!(name = "count-errors", hook = CountErrors::default(), phases = [AfterInvoke]);
//! ```
//!
//! A plugin that takes configuration (the `config` table of its entry in
//! `light-runtime.toml`, handed over as JSON text) names a constructor:
//!
//! ```
//! # use light_runtime_plugin_sdk::{export_plugin, BoxError, Hook};
//! struct Greeter { greeting: String }
//! impl Hook for Greeter {}
//!
//! impl Greeter {
//!     fn from_config(config: &str) -> Result<Greeter, BoxError> {
//!         Ok(Greeter { greeting: if config.is_empty() { "hello".into() } else { config.into() } })
//!     }
//! }
//!
//! export_plugin!(name = "greeter", new = Greeter::from_config);
//! ```

#[allow(unsafe_code)]
mod boundary;
#[allow(unsafe_code)]
mod export;
#[allow(unsafe_code)]
mod export_view;
#[allow(unsafe_code)]
mod from_views;
#[allow(unsafe_code)]
mod instance;
#[allow(unsafe_code)]
mod view_hook;

pub use runtime_engine::plugin::abi;
pub use runtime_engine::{
    BoxError, Context, Ending, ErrorKind, Flow, FunctionInfo, Hook, HookFuture, Invocation,
    InvocationError, Outcome, Phase, Phases, Response, TraceContext, Trigger,
};

pub use view_hook::{
    AfterInvokeCall, AfterResponseCall, BeforeInvokeCall, ContextRef, OutcomeRef, ViewHook,
};

/// For the macros' expansion only.
#[doc(hidden)]
pub mod __export {
    pub use crate::export::ExportedTable;
    pub use runtime_engine::plugin::abi::PluginTable;
    pub use runtime_engine::{BoxError, Hook, Phase, Phases};
}

/// Exports a [`Hook`] as a light-runtime plugin: defines the entry symbol
/// `light_runtime_plugin` and its table. Call it once per `cdylib`.
///
/// - `export_plugin!(name = "audit", new = Audit::from_config)`: `new` is a
///   `fn(&str) -> Result<H, E>` given the plugin's configuration as JSON
///   text (empty when there is none), with `E: Into<BoxError>`; an error
///   refuses the plugin at start, naming it.
/// - `export_plugin!(name = "noop", hook = Noop)`: the expression is
///   evaluated for each instance; the plugin takes no configuration.
/// - Either form takes an optional last argument,
///   `phases = [BeforeInvoke, AfterInvoke]`: the [`Phase`]s the plugin
///   implements. Only those get a function in the table; the others are
///   NULL, and the runtime neither calls nor times the plugin there, so a
///   plugin that declares its phases costs nothing in the rest (crossing
///   the boundary for a phase that does nothing is not free). A method of
///   the `Hook` outside the list is never called. `Invoke` (the handler)
///   has no table entry and is ignored. Without `phases`, every phase is
///   exported.
///
/// `name` is what timings, logs and error messages call the plugin. A panic
/// in any exported phase is caught at the boundary and reported as that
/// phase's failure, so it cannot unwind into the runtime.
/// Build plugins with `panic = "unwind"` (the default): with `abort`, a
/// panic ends the process before anything can catch it.
///
/// ```
/// use light_runtime_plugin_sdk::{export_plugin, BoxError, Flow, Hook, Invocation};
///
/// /// Counts invocations; has nothing to do in any other phase.
/// #[derive(Default)]
/// struct Count(std::sync::atomic::AtomicU64);
///
/// impl Hook for Count {
///     fn on_before_invoke(&self, _invocation: &mut Invocation) -> Result<Flow, BoxError> {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         Ok(Flow::Continue)
///     }
/// }
///
/// export_plugin!(name = "count", hook = Count::default(), phases = [BeforeInvoke]);
/// ```
#[macro_export]
macro_rules! export_plugin {
    (@phases) => {
        $crate::__export::Phases::ALL
    };
    (@phases [$($phase:ident),* $(,)?]) => {
        $crate::__export::Phases::of(&[$($crate::__export::Phase::$phase),*])
    };
    // Both APIs: `$table` is the `ExportedTable` constructor for the trait.
    (
        @table $table:ident,
        name = $name:literal,
        new = $new:expr
        $(, phases = [$($phase:ident),* $(,)?])?
        $(,)?
    ) => {
        const _: () = {
            static TABLE: $crate::__export::ExportedTable =
                $crate::__export::ExportedTable::$table(
                    $name,
                    $new,
                    $crate::export_plugin!(@phases $([$($phase),*])?),
                );

            /// The plugin's entry symbol (docs/plugin-abi.md).
            // `no_mangle` is what the `unsafe_code` lint flags here: the
            // symbol's exact name is the ABI. No `unsafe` block is involved.
            #[allow(unsafe_code)]
            #[no_mangle]
            pub extern "C" fn light_runtime_plugin(
                host_abi_version: u32,
            ) -> *const $crate::__export::PluginTable {
                TABLE.entry(host_abi_version)
            }
        };
    };
    (
        @table $table:ident,
        name = $name:literal,
        hook = $hook:expr
        $(, phases = [$($phase:ident),* $(,)?])?
        $(,)?
    ) => {
        $crate::export_plugin!(
            @table $table,
            name = $name,
            new = |_config: &str| ::core::result::Result::<_, $crate::__export::BoxError>::Ok($hook)
            $(, phases = [$($phase),*])?
        );
    };
    (name = $($rest:tt)*) => {
        $crate::export_plugin!(@table for_hook, name = $($rest)*);
    };
}

/// Exports a [`ViewHook`] as a light-runtime plugin: the entry symbol and
/// a table whose functions call the hook's methods directly with the
/// host's views. Takes the same arguments as [`export_plugin!`] (`new = ..`
/// or `hook = ..`, then optionally `phases = [..]`). Call it once per
/// `cdylib`, instead of `export_plugin!`.
///
/// ```
/// use light_runtime_plugin_sdk::{
///     export_view_plugin, BeforeInvokeCall, BoxError, InvocationError, Outcome, ViewHook,
/// };
///
/// /// Refuses events larger than a limit, without copying them.
/// struct SizeLimit(usize);
///
/// impl ViewHook for SizeLimit {
///     fn on_before_invoke(&self, call: &mut BeforeInvokeCall<'_>) -> Result<(), BoxError> {
///         if call.event().len() > self.0 {
///             let message = format!("the event is over {} bytes", self.0);
///             call.respond(&Outcome::Error(InvocationError::handler("Event.TooLarge", message)));
///         }
///         Ok(())
///     }
/// }
///
/// export_view_plugin!(name = "size-limit", hook = SizeLimit(64 * 1024), phases = [BeforeInvoke]);
/// ```
#[macro_export]
macro_rules! export_view_plugin {
    (name = $($rest:tt)*) => {
        $crate::export_plugin!(@table for_view_hook, name = $($rest)*);
    };
}
