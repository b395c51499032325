//! [`Context`]: the same per-invocation facts on every platform.

use std::fmt;
use std::sync::atomic::{self, AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::Extensions;
use tokio_util::sync::CancellationToken;

use crate::deadline::Deadline;
use crate::function::{FunctionInfo, Platform};
use crate::headers::PlatformHeaders;
use crate::identity::{ClientContext, CognitoIdentity, Credentials};
use crate::trace::TraceContext;

/// What kind of event triggered the invocation (the OpenTelemetry `faas.trigger` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Trigger {
    /// A data source: queue, stream, storage or database change.
    Datasource,
    /// An HTTP request.
    Http,
    /// A publish/subscribe message.
    Pubsub,
    /// A schedule.
    Timer,
    /// Anything else, or not known from the platform's headers alone.
    #[default]
    Other,
}

impl Trigger {
    /// The OpenTelemetry `faas.trigger` value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Trigger::Datasource => "datasource",
            Trigger::Http => "http",
            Trigger::Pubsub => "pubsub",
            Trigger::Timer => "timer",
            Trigger::Other => "other",
        }
    }
}

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

pub(crate) struct Facts {
    pub(crate) function: Arc<FunctionInfo>,
    pub(crate) request_id: String,
    pub(crate) deadline: Option<Deadline>,
    /// A deadline known only as epoch milliseconds (0: none), turned into a
    /// [`Deadline`] (two clock reads) the first time it is asked for; a
    /// plugin's copy of the context is built this way, so a hook that never
    /// looks at its deadline never reads a clock.
    pub(crate) deadline_epoch_ms: u64,
    pub(crate) lazy_deadline: OnceLock<Deadline>,
    pub(crate) invoked_function_arn: Option<String>,
    pub(crate) trigger: Trigger,
    pub(crate) cold_start: bool,
    pub(crate) sequence: u64,
    pub(crate) trace: Option<TraceContext>,
    pub(crate) trace_header: Option<String>,
    pub(crate) client_context: Option<ClientContext>,
    pub(crate) identity: Option<CognitoIdentity>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) cancellation: Cancellation,
    pub(crate) headers: PlatformHeaders,
}

/// The invocation's cancellation: a flag, and the token made the first time
/// a handler asks for it, so invocations whose handler never selects on it
/// allocate none. Cancelling sets the flag and cancels the token if there is
/// one; a token made later starts cancelled.
#[derive(Default)]
pub(crate) struct Cancellation {
    cancelled: AtomicBool,
    token: OnceLock<CancellationToken>,
}

impl Cancellation {
    fn token(&self) -> &CancellationToken {
        let token = self.token.get_or_init(CancellationToken::new);
        // Pairs with the fence in `cancel`: either `cancel` sees this token,
        // or this sees its flag (a cancel racing the token's creation).
        atomic::fence(Ordering::SeqCst);
        if self.cancelled.load(Ordering::Relaxed) && !token.is_cancelled() {
            token.cancel();
        }
        token
    }

    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
        atomic::fence(Ordering::SeqCst);
        if let Some(token) = self.token.get() {
            token.cancel();
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
            || self
                .token
                .get()
                .is_some_and(CancellationToken::is_cancelled)
    }
}

impl Context {
    /// Starts a context for request `request_id` of `function`.
    pub fn builder(function: Arc<FunctionInfo>, request_id: impl Into<String>) -> ContextBuilder {
        ContextBuilder {
            facts: Arc::new(Facts {
                function,
                request_id: request_id.into(),
                deadline: None,
                deadline_epoch_ms: 0,
                lazy_deadline: OnceLock::new(),
                invoked_function_arn: None,
                trigger: Trigger::Other,
                cold_start: false,
                sequence: 0,
                trace: None,
                trace_header: None,
                client_context: None,
                identity: None,
                tenant_id: None,
                credentials: None,
                cancellation: Cancellation::default(),
                headers: PlatformHeaders::empty(),
            }),
        }
    }

    /// The platform's id for this invocation.
    pub fn request_id(&self) -> &str {
        &self.facts.request_id
    }

    /// The function's static facts.
    pub fn function(&self) -> &FunctionInfo {
        &self.facts.function
    }

    /// The shared handle to the function's static facts.
    pub fn function_arc(&self) -> &Arc<FunctionInfo> {
        &self.facts.function
    }

    /// The function's name.
    pub fn function_name(&self) -> &str {
        &self.facts.function.name
    }

    /// The function's deployed version.
    pub fn function_version(&self) -> &str {
        &self.facts.function.version
    }

    /// Memory limit in MiB, when the platform says.
    pub fn memory_mb(&self) -> Option<u32> {
        self.facts.function.memory_mb
    }

    /// The platform's region, when it says.
    pub fn region(&self) -> Option<&str> {
        self.facts.function.region.as_deref()
    }

    /// The cloud account id, when known: from the platform's environment,
    /// else from the invoked ARN (`arn:aws:lambda:region:account:function:name`).
    pub fn account_id(&self) -> Option<&str> {
        self.facts.function.account_id.as_deref().or_else(|| {
            self.facts
                .invoked_function_arn
                .as_deref()
                .and_then(|arn| arn.split(':').nth(4))
                .filter(|account| !account.is_empty())
        })
    }

    /// Where the function runs.
    pub fn platform(&self) -> Platform {
        self.facts.function.platform
    }

    /// When the platform stops waiting, if it set a deadline.
    pub fn deadline(&self) -> Option<Deadline> {
        let facts = &*self.facts;
        match facts.deadline {
            Some(deadline) => Some(deadline),
            None if facts.deadline_epoch_ms != 0 => Some(
                *facts
                    .lazy_deadline
                    .get_or_init(|| Deadline::from_epoch_ms(facts.deadline_epoch_ms)),
            ),
            None => None,
        }
    }

    /// The deadline as Unix epoch milliseconds, 0 without one; reads no clock.
    pub(crate) fn deadline_epoch_ms(&self) -> u64 {
        match self.facts.deadline {
            Some(deadline) => deadline.epoch_ms(),
            None => self.facts.deadline_epoch_ms,
        }
    }

    /// Time left before the deadline; `None` without a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline().map(|d| d.remaining())
    }

    /// The ARN the caller used (AWS), with its version or alias qualifier.
    pub fn invoked_function_arn(&self) -> Option<&str> {
        self.facts.invoked_function_arn.as_deref()
    }

    /// What triggered the invocation.
    pub fn trigger(&self) -> Trigger {
        self.facts.trigger
    }

    /// True for the first invocation this instance serves.
    pub fn is_cold_start(&self) -> bool {
        self.facts.cold_start
    }

    /// 1 for the first invocation of this instance, then 2, 3, ...
    pub fn sequence(&self) -> u64 {
        self.facts.sequence
    }

    /// The caller's trace, normalised to W3C, if the platform sent one.
    pub fn trace(&self) -> Option<&TraceContext> {
        self.facts.trace.as_ref()
    }

    /// The platform's trace header as received (X-Ray on AWS, `traceparent` elsewhere).
    pub fn trace_header(&self) -> Option<&str> {
        self.facts.trace_header.as_deref()
    }

    /// The mobile client context (AWS), if the caller sent one.
    pub fn client_context(&self) -> Option<&ClientContext> {
        self.facts.client_context.as_ref()
    }

    /// The Cognito identity (AWS), if the caller had one.
    pub fn identity(&self) -> Option<&CognitoIdentity> {
        self.facts.identity.as_ref()
    }

    /// The tenant id of a tenant-isolated function (AWS).
    pub fn tenant_id(&self) -> Option<&str> {
        self.facts.tenant_id.as_deref()
    }

    /// Per-request credentials, where the platform passes them (Alibaba FC).
    pub fn credentials(&self) -> Option<&Credentials> {
        self.facts.credentials.as_ref()
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

    /// The facts, to refill in place for another invocation, if no other
    /// clone of this context shares them.
    pub(crate) fn facts_mut(&mut self) -> Option<&mut Facts> {
        Arc::get_mut(&mut self.facts)
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
        &self.facts.headers
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
        let facts = &self.facts;
        f.debug_struct("Context")
            .field("request_id", &facts.request_id)
            .field("function", &facts.function.name)
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

/// Builds a [`Context`]; adapters fill what their platform sends.
#[must_use]
pub struct ContextBuilder {
    /// Allocated where the context will live: the builder is moved through
    /// every setter and adapter helper, and a pointer moves cheaper than the
    /// facts themselves (over 600 bytes). Never shared before `build`.
    facts: Arc<Facts>,
}

impl ContextBuilder {
    /// Replaces the function's facts for this invocation, for platforms that
    /// send them with each request (Alibaba FC's `x-fc-function-*` headers).
    pub fn function(mut self, function: Arc<FunctionInfo>) -> Self {
        self.facts_mut().function = function;
        self
    }

    /// Sets the deadline.
    pub fn deadline(mut self, deadline: Deadline) -> Self {
        self.facts_mut().deadline = Some(deadline);
        self
    }

    /// Sets the deadline as Unix epoch milliseconds (0: none), turned into a
    /// [`Deadline`] only when asked for.
    pub(crate) fn deadline_epoch_ms(mut self, epoch_ms: u64) -> Self {
        self.facts_mut().deadline = None;
        self.facts_mut().deadline_epoch_ms = epoch_ms;
        self
    }

    /// Sets the ARN the caller used.
    pub fn invoked_function_arn(mut self, arn: impl Into<String>) -> Self {
        self.facts_mut().invoked_function_arn = Some(arn.into());
        self
    }

    /// Sets the trigger kind.
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.facts_mut().trigger = trigger;
        self
    }

    /// Sets the sequence number; the invocation with sequence 1 is the cold start.
    pub fn sequence(mut self, sequence: u64) -> Self {
        self.facts_mut().sequence = sequence;
        self.facts_mut().cold_start = sequence == 1;
        self
    }

    /// Sets the trace: the raw header and its W3C form, if it parsed.
    pub fn trace(mut self, header: impl Into<String>, trace: Option<TraceContext>) -> Self {
        self.facts_mut().trace_header = Some(header.into());
        self.facts_mut().trace = trace;
        self
    }

    /// Sets the mobile client context.
    pub fn client_context(mut self, client_context: ClientContext) -> Self {
        self.facts_mut().client_context = Some(client_context);
        self
    }

    /// Sets the Cognito identity.
    pub fn identity(mut self, identity: CognitoIdentity) -> Self {
        self.facts_mut().identity = Some(identity);
        self
    }

    /// Sets the tenant id.
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.facts_mut().tenant_id = Some(tenant_id.into());
        self
    }

    /// Sets per-request credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.facts_mut().credentials = Some(credentials);
        self
    }

    /// Sets the raw platform headers.
    pub fn platform_headers(mut self, headers: PlatformHeaders) -> Self {
        self.facts_mut().headers = headers;
        self
    }

    /// Finishes the context.
    pub fn build(self) -> Context {
        Context {
            facts: self.facts,
            extensions: Extensions::new(),
        }
    }

    fn facts_mut(&mut self) -> &mut Facts {
        // Unique: the builder never hands out its `Arc` before `build`.
        Arc::get_mut(&mut self.facts).expect("a context builder's facts are never shared")
    }
}

impl fmt::Debug for ContextBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextBuilder")
            .field("request_id", &self.facts.request_id)
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
    fn a_deadline_given_in_epoch_ms_is_made_when_asked_for() {
        let ctx = Context::builder(Arc::new(FunctionInfo::new(Platform::Local, "f")), "r")
            .deadline_epoch_ms(4_000_000_000_000)
            .build();
        assert_eq!(ctx.deadline_epoch_ms(), 4_000_000_000_000);
        assert_eq!(ctx.deadline().unwrap().epoch_ms(), 4_000_000_000_000);
        assert!(ctx.remaining().unwrap() > Duration::from_secs(3600));
    }
}
