//! [`FcServer`]: what every request from FC sees.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use runtime_engine::{CancellationToken, Error, Lifecycle};

use crate::function_info::CurrentFunctionInfo;
use crate::push_server::grace::Grace;
use crate::push_server::in_flight::InFlight;
use crate::push_server::request_body::Bodies;

/// Largest request body accepted: FC's 32 MB synchronous limit.
pub(crate) const MAX_BODY: usize = 32 * 1024 * 1024;

/// The shutdown grace when `LIGHT_RUNTIME_SHUTDOWN_GRACE_MS` is not set:
/// `/pre-stop` (or SIGTERM), in-flight work and `Close` all fit in it. FC's
/// PreStop timeout is set per function and its default is unconfirmed
/// (reference 2.9): set the variable to it.
pub(crate) const DEFAULT_GRACE: Duration = Duration::from_secs(30);

/// What every request from FC sees.
pub(crate) struct FcServer {
    pub(crate) lifecycle: Arc<Lifecycle>,
    /// The function info, updated from each request's `x-fc-function-*` headers.
    pub(crate) function: CurrentFunctionInfo,
    pub(crate) in_flight: InFlight,
    /// Request bodies: FC's limit and the budget of large ones in flight.
    pub(crate) bodies: Bodies,
    /// Shutdown's one deadline, shared by `/pre-stop` and SIGTERM.
    pub(crate) grace: Arc<Grace>,
    /// `FunctionStart`'s result, once it ran; the error message if it failed.
    pub(crate) started: tokio::sync::OnceCell<Result<(), String>>,
    /// The init error `run` returns.
    pub(crate) init_error: Mutex<Option<Error>>,
    /// Stops the server: `/pre-stop`, a failed init, or shutdown.
    pub(crate) stop: CancellationToken,
    /// The deadline given to invocations whose request names no timeout.
    pub(crate) default_timeout: Option<Duration>,
}
