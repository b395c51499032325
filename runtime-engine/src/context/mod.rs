//! [`Context`]: the same per-invocation facts on every platform.
//!
//! - [`ContextBuilder`] (`builder`): a context filled fact by fact, as
//!   adapters read them.
//! - [`ContextParts`] (`parts`): the facts as public fields, to build a
//!   context from at once or to refill one in place.
//! - [`Trigger`] (`trigger`): what kind of event started the invocation.
//! - `cancellation`: the invocation's cancellation, its token made lazily.

mod builder;
mod cancellation;
mod parts;
mod trigger;

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::Extensions;
use tokio_util::sync::CancellationToken;

use crate::deadline::Deadline;
use crate::function::{FunctionInfo, Platform};
use crate::headers::PlatformHeaders;
use crate::identity::{ClientContext, CognitoIdentity, Credentials};
use crate::initialization::Initialization;
use crate::trace::TraceContext;
use cancellation::Cancellation;

pub use builder::ContextBuilder;
pub use parts::ContextParts;
pub use trigger::Trigger;

/// The per-invocation context, the same on every platform.
///
/// Cloning is cheap: the platform facts sit behind one `Arc`. The
/// [extensions](Context::extensions) are per clone, so a layer inserts into
/// the invocation's context before passing it inward.
#[derive(Clone)]
pub struct Context {
    facts: Arc<Facts>,
    extensions: Extensions,
}

/// What the clones of one context share: its parts and what is derived
/// from them as the invocation runs.
struct Facts {
    parts: ContextParts,
    /// The [`Deadline`] made from `parts.deadline_epoch_ms` when first asked for.
    lazy_deadline: OnceLock<Deadline>,
    cancellation: Cancellation,
    /// The function of a several-function binary that serves this
    /// invocation, when it is chosen per invocation (routing by path).
    /// Here rather than in the extensions so that every clone sees it,
    /// the adapter's for `AfterResponse` included; it is named after the
    /// context is built, by the runtime's routing, hence a cell.
    handler: OnceLock<Arc<str>>,
}

impl Facts {
    fn new(parts: ContextParts) -> Self {
        Facts {
            parts,
            lazy_deadline: OnceLock::new(),
            cancellation: Cancellation::default(),
            handler: OnceLock::new(),
        }
    }
}

impl Context {
    /// Starts a context for request `request_id` of `function`.
    pub fn builder(function: Arc<FunctionInfo>, request_id: impl Into<String>) -> ContextBuilder {
        ContextBuilder::new(function, request_id.into())
    }

    /// The context `parts` describe, with no extensions, not cancelled.
    pub fn from_parts(parts: ContextParts) -> Context {
        Context {
            facts: Arc::new(Facts::new(parts)),
            extensions: Extensions::new(),
        }
    }

    /// Readies this context to describe another invocation in place,
    /// keeping its allocations, for code that builds one context per
    /// invocation (a plugin rebuilding the host's): if no other clone
    /// shares its facts, clears its extensions, starts a fresh
    /// cancellation and returns its parts to overwrite. Otherwise returns
    /// `None` and changes nothing; build a new one with
    /// [`from_parts`](Context::from_parts).
    pub fn refill(&mut self) -> Option<&mut ContextParts> {
        let facts = Arc::get_mut(&mut self.facts)?;
        facts.lazy_deadline.take();
        facts.handler.take();
        facts.cancellation = Cancellation::default();
        self.extensions.clear();
        Some(&mut facts.parts)
    }

    /// The platform's id for this invocation.
    pub fn request_id(&self) -> &str {
        &self.facts.parts.request_id
    }

    /// The function's static facts.
    pub fn function(&self) -> &FunctionInfo {
        &self.facts.parts.function
    }

    /// The shared handle to the function's static facts.
    pub fn function_arc(&self) -> &Arc<FunctionInfo> {
        &self.facts.parts.function
    }

    /// The function's name.
    pub fn function_name(&self) -> &str {
        &self.facts.parts.function.name
    }

    /// Which of the binary's functions serves this invocation, when the
    /// binary holds several (`Runtime::builder().function(name, ..)`):
    /// the one the deployment named ([`FunctionInfo::handler`]), or the one
    /// its path routed to. `None` in a single-function binary.
    pub fn handler(&self) -> Option<&str> {
        self.facts
            .handler
            .get()
            .or(self.facts.parts.function.handler.as_ref())
            .map(|name| &**name)
    }

    /// Names the function that serves this invocation, for the runtime's
    /// routing: every clone of this context sees it. An invocation has one
    /// function, so only the first name given is kept; returns whether
    /// `handler` was.
    pub fn set_handler(&self, handler: Arc<str>) -> bool {
        self.facts.handler.set(handler).is_ok()
    }

    /// The function's deployed version.
    pub fn function_version(&self) -> &str {
        &self.facts.parts.function.version
    }

    /// Memory limit in MiB, when the platform says.
    pub fn memory_mb(&self) -> Option<u32> {
        self.facts.parts.function.memory_mb
    }

    /// The platform's region, when it says.
    pub fn region(&self) -> Option<&str> {
        self.facts.parts.function.region.as_deref()
    }

    /// The cloud account id, when known: from the platform's environment,
    /// else from the invoked ARN (`arn:aws:lambda:region:account:function:name`).
    pub fn account_id(&self) -> Option<&str> {
        self.facts.parts.function.account_id.as_deref().or_else(|| {
            self.facts
                .parts
                .invoked_function_arn
                .as_deref()
                .and_then(|arn| arn.split(':').nth(4))
                .filter(|account| !account.is_empty())
        })
    }

    /// Where the function runs.
    pub fn platform(&self) -> Platform {
        self.facts.parts.function.platform
    }

    /// When the platform stops waiting, if it set a deadline.
    pub fn deadline(&self) -> Option<Deadline> {
        let Facts {
            parts,
            lazy_deadline,
            ..
        } = &*self.facts;
        match parts.deadline {
            Some(deadline) => Some(deadline),
            None if parts.deadline_epoch_ms != 0 => Some(
                *lazy_deadline.get_or_init(|| Deadline::from_epoch_ms(parts.deadline_epoch_ms)),
            ),
            None => None,
        }
    }

    /// The deadline as Unix epoch milliseconds, 0 without one; reads no clock.
    pub(crate) fn deadline_epoch_ms(&self) -> u64 {
        match self.facts.parts.deadline {
            Some(deadline) => deadline.epoch_ms(),
            None => self.facts.parts.deadline_epoch_ms,
        }
    }

    /// Time left before the deadline; `None` without a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline().map(|d| d.remaining())
    }

    /// The ARN the caller used (AWS), with its version or alias qualifier.
    pub fn invoked_function_arn(&self) -> Option<&str> {
        self.facts.parts.invoked_function_arn.as_deref()
    }

    /// What triggered the invocation.
    pub fn trigger(&self) -> Trigger {
        self.facts.parts.trigger
    }

    /// True for the first invocation this instance serves.
    pub fn is_cold_start(&self) -> bool {
        self.facts.parts.cold_start
    }

    /// How the platform made this instance; with
    /// [`is_cold_start`](Self::is_cold_start), whether this invocation
    /// waited for init (`OnDemand`) or found it done ahead
    /// (`ProvisionedConcurrency`, `SnapStart`).
    pub fn initialization(&self) -> Initialization {
        self.facts.parts.function.initialization
    }

    /// 1 for the first invocation of this instance, then 2, 3, ...
    pub fn sequence(&self) -> u64 {
        self.facts.parts.sequence
    }

    /// The caller's trace, normalised to W3C, if the platform sent one.
    pub fn trace(&self) -> Option<&TraceContext> {
        self.facts.parts.trace.as_ref()
    }

    /// The platform's trace header as received (X-Ray on AWS, `traceparent` elsewhere).
    pub fn trace_header(&self) -> Option<&str> {
        self.facts.parts.trace_header.as_deref()
    }

    /// The mobile client context (AWS), if the caller sent one.
    pub fn client_context(&self) -> Option<&ClientContext> {
        self.facts.parts.client_context.as_ref()
    }

    /// The Cognito identity (AWS), if the caller had one.
    pub fn identity(&self) -> Option<&CognitoIdentity> {
        self.facts.parts.identity.as_ref()
    }

    /// The tenant id of a tenant-isolated function (AWS).
    pub fn tenant_id(&self) -> Option<&str> {
        self.facts.parts.tenant_id.as_deref()
    }

    /// Per-request credentials, where the platform passes them (Alibaba FC).
    pub fn credentials(&self) -> Option<&Credentials> {
        self.facts.parts.credentials.as_ref()
    }

    /// Fires when the invocation should stop: at the deadline's safety margin,
    /// or at shutdown. Long-running handlers should select on it.
    ///
    /// The token is made on the first call; cancelling the invocation before
    /// that costs no allocation, and the token then starts cancelled.
    pub fn cancellation(&self) -> &CancellationToken {
        self.facts.cancellation.token()
    }

    /// Whether the invocation was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.facts.cancellation.is_cancelled()
    }

    /// Cancels the invocation: [`Context::cancellation`] fires (or, if not
    /// yet made, will be made cancelled) and [`Context::is_cancelled`] is true.
    pub(crate) fn cancel(&self) {
        self.facts.cancellation.cancel();
    }

    /// Typed values that layers attach for handlers.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Mutable access to the typed values.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// The raw headers the platform sent: the escape hatch for what the
    /// context does not name.
    pub fn platform_headers(&self) -> &PlatformHeaders {
        &self.facts.parts.headers
    }

    /// The method, URI and headers of the HTTP request, when the invocation
    /// is one (FC HTTP invocations, plain HTTP, SCF web functions); the body
    /// is the invocation's payload. See [`Invocation::from_http`](crate::Invocation::from_http).
    pub fn http_request(&self) -> Option<&http::request::Parts> {
        // Behind an `Arc` so that cloning the context (the engine keeps one
        // for AfterInvoke, adapters one for AfterResponse) does not copy the
        // request's header map.
        self.extensions
            .get::<Arc<http::request::Parts>>()
            .map(|parts| &**parts)
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let facts = &self.facts.parts;
        f.debug_struct("Context")
            .field("request_id", &facts.request_id)
            .field("function", &facts.function.name)
            .field("handler", &self.handler())
            .field("version", &facts.function.version)
            .field("platform", &facts.function.platform)
            .field("deadline", &self.deadline())
            .field("invoked_function_arn", &facts.invoked_function_arn)
            .field("trigger", &facts.trigger)
            .field("cold_start", &facts.cold_start)
            .field("sequence", &facts.sequence)
            .field("trace", &facts.trace)
            .field("client_context", &facts.client_context)
            .field("identity", &facts.identity)
            .field("tenant_id", &facts.tenant_id)
            .field("credentials", &facts.credentials)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::FunctionInfo;

    fn context() -> Context {
        Context::builder(Arc::new(FunctionInfo::new(Platform::Local, "f")), "r").build()
    }

    #[test]
    fn a_token_made_after_cancelling_starts_cancelled() {
        let ctx = context();
        assert!(!ctx.is_cancelled());
        ctx.cancel();
        assert!(ctx.is_cancelled());
        assert!(ctx.cancellation().is_cancelled());
    }

    #[test]
    fn cancelling_fires_a_token_already_made_and_the_reverse() {
        let ctx = context();
        let token = ctx.cancellation().clone();
        ctx.cancel();
        assert!(token.is_cancelled());
        let other = context();
        other.cancellation().cancel();
        assert!(other.is_cancelled());
    }

    #[test]
    fn a_refilled_context_starts_afresh_and_a_shared_one_is_not_refilled() {
        let mut ctx = context();
        ctx.extensions_mut().insert(7_u8);
        ctx.cancel();
        let parts = ctx.refill().expect("no other clone");
        parts.request_id.push_str("-2");
        parts.sequence = 2;
        assert_eq!((ctx.request_id(), ctx.sequence()), ("r-2", 2));
        assert!(!ctx.is_cancelled() && ctx.extensions().get::<u8>().is_none());

        let clone = ctx.clone();
        assert!(ctx.refill().is_none(), "a clone shares the facts");
        assert_eq!(clone.request_id(), "r-2");
    }

    #[test]
    fn a_handler_named_per_invocation_is_seen_by_every_clone_and_kept_once() {
        let deployed = FunctionInfo::new(Platform::Local, "f").with_handler(Some("orders"));
        let ctx = Context::builder(Arc::new(deployed), "r").build();
        assert_eq!(ctx.handler(), Some("orders"), "the deployment's choice");

        let mut ctx = context();
        assert_eq!(ctx.handler(), None);
        let kept_by_adapter = ctx.clone();
        assert!(ctx.set_handler(Arc::from("users")));
        assert!(
            !ctx.set_handler(Arc::from("orders")),
            "the first name stays"
        );
        assert_eq!(kept_by_adapter.handler(), Some("users"));
        drop(kept_by_adapter);
        ctx.refill().expect("no other clone");
        assert_eq!(ctx.handler(), None, "a refilled context starts afresh");
    }

    #[test]
    fn a_deadline_given_in_epoch_ms_is_made_when_asked_for() {
        let function = Arc::new(FunctionInfo::new(Platform::Local, "f"));
        let mut parts = ContextParts::new(function, "r");
        parts.deadline_epoch_ms = 4_000_000_000_000;
        let ctx = Context::from_parts(parts);
        assert_eq!(ctx.deadline_epoch_ms(), 4_000_000_000_000);
        assert_eq!(ctx.deadline().unwrap().epoch_ms(), 4_000_000_000_000);
        assert!(ctx.remaining().unwrap() > Duration::from_secs(3600));
    }
}
