//! [`HttpServer`]: what every request to a plain-HTTP server sees, and the
//! [`HttpOptions`] in which plain HTTP and SCF web functions differ.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use runtime_engine::Lifecycle;

use crate::push_server::grace::Grace;
use crate::push_server::in_flight::InFlight;
use crate::push_server::request_body::Bodies;

/// Largest request body accepted.
pub(crate) const MAX_BODY: usize = 32 * 1024 * 1024;

/// The shutdown grace when `LIGHT_RUNTIME_SHUTDOWN_GRACE_MS` is not set:
/// draining, in-flight requests and `Close` all fit in it. Cloud Run sends
/// SIGKILL 10 s after SIGTERM; Knative's default is 30 s.
pub(crate) const DEFAULT_GRACE: Duration = Duration::from_secs(10);

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
    /// Request bodies: the limit and the budget of large ones in flight.
    pub(crate) bodies: Bodies,
    /// Shutdown's one deadline.
    pub(crate) grace: Arc<Grace>,
    /// Requests numbered so far, for request ids the platform did not send.
    pub(crate) requests: AtomicU64,
    /// The deadline given to each invocation: these platforms send none.
    pub(crate) timeout: Option<Duration>,
    pub(crate) options: HttpOptions,
}
