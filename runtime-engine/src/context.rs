//! [`Context`]: the same per-invocation facts on every platform.

use std::fmt;
use std::sync::Arc;
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

struct Facts {
    function: Arc<FunctionInfo>,
    request_id: String,
    deadline: Option<Deadline>,
    invoked_function_arn: Option<String>,
    trigger: Trigger,
    cold_start: bool,
    sequence: u64,
    trace: Option<TraceContext>,
    trace_header: Option<String>,
    client_context: Option<ClientContext>,
    identity: Option<CognitoIdentity>,
    tenant_id: Option<String>,
    credentials: Option<Credentials>,
    cancellation: CancellationToken,
    headers: PlatformHeaders,
}

impl Context {
    /// Starts a context for request `request_id` of `function`.
    pub fn builder(function: Arc<FunctionInfo>, request_id: impl Into<String>) -> ContextBuilder {
        ContextBuilder {
            facts: Facts {
                function,
                request_id: request_id.into(),
                deadline: None,
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
                cancellation: CancellationToken::new(),
                headers: PlatformHeaders::empty(),
            },
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
        self.facts.deadline
    }

    /// Time left before the deadline; `None` without a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.facts.deadline.map(|d| d.remaining())
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
    pub fn cancellation(&self) -> &CancellationToken {
        &self.facts.cancellation
    }

    /// Whether the invocation was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.facts.cancellation.is_cancelled()
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
            .field("deadline", &facts.deadline)
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
    facts: Facts,
}

impl ContextBuilder {
    /// Replaces the function's facts for this invocation, for platforms that
    /// send them with each request (Alibaba FC's `x-fc-function-*` headers).
    pub fn function(mut self, function: Arc<FunctionInfo>) -> Self {
        self.facts.function = function;
        self
    }

    /// Sets the deadline.
    pub fn deadline(mut self, deadline: Deadline) -> Self {
        self.facts.deadline = Some(deadline);
        self
    }

    /// Sets the ARN the caller used.
    pub fn invoked_function_arn(mut self, arn: impl Into<String>) -> Self {
        self.facts.invoked_function_arn = Some(arn.into());
        self
    }

    /// Sets the trigger kind.
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.facts.trigger = trigger;
        self
    }

    /// Sets the sequence number; the invocation with sequence 1 is the cold start.
    pub fn sequence(mut self, sequence: u64) -> Self {
        self.facts.sequence = sequence;
        self.facts.cold_start = sequence == 1;
        self
    }

    /// Sets the trace: the raw header and its W3C form, if it parsed.
    pub fn trace(mut self, header: impl Into<String>, trace: Option<TraceContext>) -> Self {
        self.facts.trace_header = Some(header.into());
        self.facts.trace = trace;
        self
    }

    /// Sets the mobile client context.
    pub fn client_context(mut self, client_context: ClientContext) -> Self {
        self.facts.client_context = Some(client_context);
        self
    }

    /// Sets the Cognito identity.
    pub fn identity(mut self, identity: CognitoIdentity) -> Self {
        self.facts.identity = Some(identity);
        self
    }

    /// Sets the tenant id.
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.facts.tenant_id = Some(tenant_id.into());
        self
    }

    /// Sets per-request credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.facts.credentials = Some(credentials);
        self
    }

    /// Sets the raw platform headers.
    pub fn platform_headers(mut self, headers: PlatformHeaders) -> Self {
        self.facts.headers = headers;
        self
    }

    /// Finishes the context.
    pub fn build(self) -> Context {
        Context {
            facts: Arc::new(self.facts),
            extensions: Extensions::new(),
        }
    }
}

impl fmt::Debug for ContextBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextBuilder")
            .field("request_id", &self.facts.request_id)
            .finish_non_exhaustive()
    }
}
