//! [`ContextParts`]: the facts a [`Context`](super::Context) is made of, as
//! plain public fields.

use std::sync::Arc;

use super::Trigger;
use crate::deadline::Deadline;
use crate::function::FunctionInfo;
use crate::headers::PlatformHeaders;
use crate::identity::{ClientContext, CognitoIdentity, Credentials};
use crate::trace::TraceContext;

/// The facts of one invocation, each a public field: what
/// [`Context::from_parts`](super::Context::from_parts) builds a context
/// from and [`Context::refill`](super::Context::refill) hands back to
/// change in place.
///
/// For code that has the facts in another form already: a plugin rebuilding
/// the host's context from the ABI's views, a proxy from another runtime's
/// request. Adapters, which learn the facts one header at a time, use
/// [`ContextBuilder`](super::ContextBuilder).
///
/// ```
/// use std::sync::Arc;
/// use runtime_engine::{Context, ContextParts, FunctionInfo, Platform, Trigger};
///
/// let function = Arc::new(FunctionInfo::new(Platform::Local, "orders"));
/// let mut parts = ContextParts::new(function, "req-1");
/// parts.trigger = Trigger::Http;
/// let context = Context::from_parts(parts);
/// assert_eq!((context.request_id(), context.trigger()), ("req-1", Trigger::Http));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ContextParts {
    /// The function's static facts, shared by every invocation.
    pub function: Arc<FunctionInfo>,
    /// The platform's id for this invocation.
    pub request_id: String,
    /// When the platform stops waiting, if it set a deadline.
    pub deadline: Option<Deadline>,
    /// The deadline as Unix epoch milliseconds, for when `deadline` is
    /// `None` (0: no deadline). It becomes a [`Deadline`] (two clock reads)
    /// only the first time the context is asked for one, so a context
    /// rebuilt per invocation (a plugin's) whose deadline no one reads
    /// reads no clock.
    pub deadline_epoch_ms: u64,
    /// The ARN the caller used (AWS), with its version or alias qualifier.
    pub invoked_function_arn: Option<String>,
    /// What triggered the invocation.
    pub trigger: Trigger,
    /// True for the first invocation this instance serves.
    pub cold_start: bool,
    /// 1 for the first invocation of this instance, then 2, 3, ...
    pub sequence: u64,
    /// The caller's trace in W3C form, if the platform's header parsed.
    pub trace: Option<TraceContext>,
    /// The platform's trace header as received.
    pub trace_header: Option<String>,
    /// The mobile client context (AWS).
    pub client_context: Option<ClientContext>,
    /// The Cognito identity (AWS).
    pub identity: Option<CognitoIdentity>,
    /// The tenant id of a tenant-isolated function (AWS).
    pub tenant_id: Option<String>,
    /// Per-request credentials (Alibaba FC).
    pub credentials: Option<Credentials>,
    /// The raw headers the platform sent.
    pub headers: PlatformHeaders,
}

impl ContextParts {
    /// The parts of request `request_id` of `function`, every other fact
    /// absent (no deadline, trigger `Other`, sequence 0).
    pub fn new(function: Arc<FunctionInfo>, request_id: impl Into<String>) -> Self {
        ContextParts {
            function,
            request_id: request_id.into(),
            deadline: None,
            deadline_epoch_ms: 0,
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
            headers: PlatformHeaders::empty(),
        }
    }
}
