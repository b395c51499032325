//! The Extensions API, as far as a function's own in-process extensions
//! need it (reference 1.10): `register` answered with an identifier and
//! the function's facts, and `event/next` answered with SHUTDOWN at Close.
//!
//! Lambda runtimes register an internal extension only to be sent SIGTERM
//! (`lambda_runtime`'s graceful-shutdown handler does); they then wait on
//! `event/next` for a SHUTDOWN that must come. INVOKE events are not sent:
//! an extension subscribed to them is told only of the shutdown.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::Full;
use runtime_engine::{CancellationToken, FunctionInfo};

use super::error_body::api_error;
use super::runtime_api::Body;

/// Lambda's limit on extensions per function.
const MAX_EXTENSIONS: usize = 10;
const NAME_HEADER: &str = "lambda-extension-name";
const IDENTIFIER_HEADER: &str = "lambda-extension-identifier";

/// The registered extensions and the shutdown they wait for.
#[derive(Debug)]
pub(crate) struct Extensions {
    registered: Mutex<Vec<String>>,
    function: OnceLock<FunctionInfo>,
    shutdown: CancellationToken,
    /// How long the extensions are told they have after SHUTDOWN.
    grace: Duration,
    ids: AtomicU64,
}

impl Extensions {
    pub(crate) fn new(grace: Duration) -> Self {
        Extensions {
            registered: Mutex::new(Vec::new()),
            function: OnceLock::new(),
            shutdown: CancellationToken::new(),
            grace,
            ids: AtomicU64::new(0),
        }
    }

    /// The function's facts, for `register`'s answer (once, at FunctionStart).
    pub(crate) fn set_function(&self, function: FunctionInfo) {
        let _ = self.function.set(function);
    }

    /// A new child is starting: the previous one's registrations end with
    /// it (else restarts would use up the ten Lambda allows).
    pub(crate) fn forget_registered(&self) {
        self.registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Close: every `event/next` now answers SHUTDOWN.
    pub(crate) fn shut_down(&self) {
        self.shutdown.cancel();
    }

    /// `POST /extension/register`.
    pub(crate) fn register(&self, headers: &HeaderMap) -> http::Response<Body> {
        let Some(name) = headers.get(NAME_HEADER).and_then(|n| n.to_str().ok()) else {
            return api_error(
                StatusCode::FORBIDDEN,
                "Extension.InvalidExtensionName",
                "register needs a Lambda-Extension-Name header",
            );
        };
        let mut registered = self
            .registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if registered.len() == MAX_EXTENSIONS {
            return api_error(
                StatusCode::FORBIDDEN,
                "Extension.TooManyExtensions",
                &format!("at most {MAX_EXTENSIONS} extensions may register; `{name}` is one more"),
            );
        }
        let id = self.new_id();
        registered.push(id.clone());
        drop(registered);
        let body = match self.function.get() {
            Some(function) => serde_json::json!({
                "functionName": &*function.name,
                "functionVersion": &*function.version,
                "handler": function.handler.as_deref().unwrap_or(""),
            }),
            None => serde_json::json!({}),
        };
        let mut response = http::Response::new(Full::new(Bytes::from(body.to_string())));
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(IDENTIFIER_HEADER, value);
        }
        response
    }

    /// `GET /extension/event/next`: waits for Close, then SHUTDOWN.
    pub(crate) async fn next(&self, headers: &HeaderMap) -> http::Response<Body> {
        let id = headers
            .get(IDENTIFIER_HEADER)
            .and_then(|id| id.to_str().ok());
        let known = id.is_some_and(|id| {
            self.registered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .any(|registered| registered == id)
        });
        if !known {
            return api_error(
                StatusCode::FORBIDDEN,
                "Extension.InvalidExtensionIdentifier",
                "event/next needs the Lambda-Extension-Identifier that register returned",
            );
        }
        self.shutdown.cancelled().await;
        let deadline = SystemTime::now() + self.grace;
        let deadline_ms = deadline
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        let body = serde_json::json!({
            "eventType": "SHUTDOWN",
            "shutdownReason": "spindown",
            "deadlineMs": deadline_ms,
        });
        http::Response::new(Full::new(Bytes::from(body.to_string())))
    }

    /// A UUID-shaped identifier, unique in this process.
    fn new_id(&self) -> String {
        let count = self.ids.fetch_add(1, Ordering::Relaxed);
        let random = RandomState::new();
        let high = random.hash_one(count);
        let low = random.hash_one(std::process::id());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0x0fff,
            (low >> 48) & 0x3fff | 0x8000,
            low & 0xffff_ffff_ffff,
        )
    }
}
