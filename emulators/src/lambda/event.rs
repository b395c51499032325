//! [`Event`]: one invocation queued on the emulator, with the headers its
//! `next` answer will carry.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

/// An event to hand to the runtime on its next `GET .../invocation/next`.
///
/// ```
/// use light_runtime_emulators::lambda::Event;
///
/// let event = Event::json(serde_json::json!({"name": "ada"}))
///     .request_id("req-1")
///     .trace_id("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
/// # let _ = event;
/// ```
#[derive(Debug, Clone)]
pub struct Event {
    pub(crate) body: Bytes,
    pub(crate) request_id: Option<String>,
    pub(crate) deadline_in: Option<Duration>,
    pub(crate) trace_id: Option<String>,
    pub(crate) client_context: Option<String>,
    pub(crate) cognito_identity: Option<String>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
}

impl Event {
    /// An event whose payload is `value` serialised as JSON.
    pub fn json(value: serde_json::Value) -> Self {
        Event::raw(value.to_string())
    }

    /// An event whose payload is exactly `body`, which need not be valid JSON
    /// (malformed-event tests use this).
    pub fn raw(body: impl Into<Bytes>) -> Self {
        Event {
            body: body.into(),
            request_id: None,
            deadline_in: None,
            trace_id: None,
            client_context: None,
            cognito_identity: None,
            tenant_id: None,
            headers: Vec::new(),
        }
    }

    /// Use `request_id` instead of a fresh UUID-like id.
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Give this event `deadline_in` from the moment it is handed out,
    /// instead of the emulator's timeout.
    pub fn deadline_in(mut self, deadline_in: Duration) -> Self {
        self.deadline_in = Some(deadline_in);
        self
    }

    /// Send `Lambda-Runtime-Trace-Id` (an X-Ray header such as
    /// `Root=...;Parent=...;Sampled=1`).
    pub fn trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.trace_id = Some(trace_id.into());
        self
    }

    /// Send `Lambda-Runtime-Client-Context` with this raw JSON.
    pub fn client_context(mut self, client_context: impl Into<String>) -> Self {
        self.client_context = Some(client_context.into());
        self
    }

    /// Send `Lambda-Runtime-Cognito-Identity` with this raw JSON.
    pub fn cognito_identity(mut self, cognito_identity: impl Into<String>) -> Self {
        self.cognito_identity = Some(cognito_identity.into());
        self
    }

    /// Send `Lambda-Runtime-Aws-Tenant-Id` (tenant-isolation functions).
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    /// Send any extra header with the event, e.g. one a future platform
    /// version might add.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The payload the runtime will receive.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

/// A fresh UUID-v4-shaped identifier (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`),
/// random (122 bits from the standard library's hasher keys), so in practice
/// unique.
pub(crate) fn fresh_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = |salt: u64| RandomState::new().hash_one((count, salt));
    let high = random(1);
    let low = random(2);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        0x8000 | ((low >> 48) & 0x3fff),
        low & 0xffff_ffff_ffff,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_uuid_shaped_and_distinct() {
        let a = fresh_id();
        let b = fresh_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_eq!(a.matches('-').count(), 4);
    }
}
