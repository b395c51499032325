//! [`ContextBuilder`]: a [`Context`] filled fact by fact, as an adapter
//! reads them from the platform's request.

use std::fmt;
use std::sync::Arc;

use http::Extensions;

use super::{Context, ContextParts, Facts, Trigger};
use crate::deadline::Deadline;
use crate::function::FunctionInfo;
use crate::headers::PlatformHeaders;
use crate::identity::{ClientContext, CognitoIdentity, Credentials};
use crate::trace::TraceContext;

/// Builds a [`Context`]; adapters fill what their platform sends.
#[must_use]
pub struct ContextBuilder {
    /// Allocated where the context will live: the builder is moved through
    /// every setter and adapter helper, and a pointer moves cheaper than the
    /// facts themselves (over 600 bytes). Never shared before `build`.
    facts: Arc<Facts>,
}

impl ContextBuilder {
    pub(super) fn new(function: Arc<FunctionInfo>, request_id: String) -> Self {
        ContextBuilder {
            facts: Arc::new(Facts::new(ContextParts::new(function, request_id))),
        }
    }

    /// Replaces the function's facts for this invocation, for platforms that
    /// send them with each request (Alibaba FC's `x-fc-function-*` headers).
    pub fn function(mut self, function: Arc<FunctionInfo>) -> Self {
        self.parts_mut().function = function;
        self
    }

    /// Sets the deadline.
    pub fn deadline(mut self, deadline: Deadline) -> Self {
        self.parts_mut().deadline = Some(deadline);
        self
    }

    /// Sets the ARN the caller used.
    pub fn invoked_function_arn(mut self, arn: impl Into<String>) -> Self {
        self.parts_mut().invoked_function_arn = Some(arn.into());
        self
    }

    /// Sets the trigger kind.
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.parts_mut().trigger = trigger;
        self
    }

    /// Sets the sequence number; the invocation with sequence 1 is the cold start.
    pub fn sequence(mut self, sequence: u64) -> Self {
        self.parts_mut().sequence = sequence;
        self.parts_mut().cold_start = sequence == 1;
        self
    }

    /// Sets the trace: the raw header and its W3C form, if it parsed.
    pub fn trace(mut self, header: impl Into<String>, trace: Option<TraceContext>) -> Self {
        self.parts_mut().trace_header = Some(header.into());
        self.parts_mut().trace = trace;
        self
    }

    /// Sets the mobile client context.
    pub fn client_context(mut self, client_context: ClientContext) -> Self {
        self.parts_mut().client_context = Some(client_context);
        self
    }

    /// Sets the Cognito identity.
    pub fn identity(mut self, identity: CognitoIdentity) -> Self {
        self.parts_mut().identity = Some(identity);
        self
    }

    /// Sets the tenant id.
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.parts_mut().tenant_id = Some(tenant_id.into());
        self
    }

    /// Sets per-request credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.parts_mut().credentials = Some(credentials);
        self
    }

    /// Sets the raw platform headers.
    pub fn platform_headers(mut self, headers: PlatformHeaders) -> Self {
        self.parts_mut().headers = headers;
        self
    }

    /// Finishes the context.
    pub fn build(self) -> Context {
        Context {
            facts: self.facts,
            extensions: Extensions::new(),
        }
    }

    fn parts_mut(&mut self) -> &mut ContextParts {
        // Unique: the builder never hands out its `Arc` before `build`.
        let facts =
            Arc::get_mut(&mut self.facts).expect("a context builder's facts are never shared");
        &mut facts.parts
    }
}

impl fmt::Debug for ContextBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContextBuilder")
            .field("request_id", &self.facts.parts.request_id)
            .finish_non_exhaustive()
    }
}
