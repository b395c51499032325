//! [`HttpServer`]: what every request to a plain-HTTP server sees, and the
//! [`HttpOptions`] in which plain HTTP and SCF web functions differ.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use runtime_engine::Lifecycle;

use crate::push_server::in_flight::InFlight;

/// Largest request body accepted.
pub(crate) const MAX_BODY: usize = 32 * 1024 * 1024;

/// How long shutdown waits for in-flight requests without a configured timeout.
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// How a platform's HTTP server differs (plain HTTP, SCF web functions).
#[derive(Clone, Copy, Debug)]
pub(crate) struct HttpOptions {
    /// Port variables, first set wins.
    pub(crate) port_vars: &'static [&'static str],
    pub(crate) default_port: u16,
    /// The request header carrying the platform's request id.
    pub(crate) request_id_header: &'static str,
    /// Prefix of locally made request ids.
    pub(crate) id_prefix: &'static str,
    /// Whether CloudEvents are decoded.
    pub(crate) cloudevents: bool,
}

/// What every request to the server sees.
pub(crate) struct HttpServer {
    pub(crate) lifecycle: Arc<Lifecycle>,
    pub(crate) in_flight: InFlight,
    /// Requests numbered so far, for request ids the platform did not send.
    pub(crate) requests: AtomicU64,
    /// The deadline given to each invocation: these platforms send none.
    pub(crate) timeout: Option<Duration>,
    pub(crate) options: HttpOptions,
}
