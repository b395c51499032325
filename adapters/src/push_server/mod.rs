//! The server side of push contracts (Alibaba FC, plain HTTP, Tencent SCF
//! web functions): a hyper HTTP/1.1 server that hands each request to the
//! adapter's router, and the pieces every push adapter shares.
//!
//! # Layout
//! - this file: where to listen (`listen_addr`, `bind`) and the accept
//!   loop with graceful drain (`serve`); upgrades (websockets) are let
//!   through, hyper's `OnUpgrade` left in the request's extensions for a
//!   function that answers `101`.
//! - `grace`: `Grace`, the one deadline shutdown keeps.
//! - `in_flight`: `InFlight`, invocations from the arrival of their whole
//!   body to the end of their `AfterResponse` hooks, so freeze and shutdown
//!   can wait for them.
//! - `request_body`: `Bodies`, reading a whole request body within a limit
//!   and a budget of bytes in flight.
//! - `reply`: `Reply` and the replies push routes share.
//! - `reply_body`: `ReplyBody`, a reply's whole or streamed body, which
//!   keeps a large request's share of the byte budget until its answer is
//!   written.
//! - `streamed_reply`: `StreamedBody`, a streamed response written as a
//!   chunked reply, running `AfterResponse` when its stream ends.
//! - `drain`: graceful shutdown of open connections.
//! - `fuzz_cases` (tests only): seeded fuzz cases for the parsers push
//!   platforms feed.
//!
//! Routes call the pipeline through
//! [`BoxPipeline::answer`](crate::pipeline::BoxPipeline::answer), as the pull loop does.

mod drain;
#[cfg(test)]
pub(crate) mod fuzz_cases;
pub(crate) mod grace;
pub(crate) mod in_flight;
pub(crate) mod reply;
pub(crate) mod reply_body;
pub(crate) mod request_body;
pub(crate) mod streamed_reply;

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use runtime_engine::{CancellationToken, Error};
use tokio::net::TcpListener;

use grace::Grace;
use reply::Reply;

/// Overrides the address push adapters listen on (default `0.0.0.0`, as FC
/// and SCF require); tests and sidecars set `127.0.0.1`.
pub const LISTEN_HOST_VAR: &str = "LIGHT_RUNTIME_LISTEN_HOST";

// The local adapter listens on loopback by its own rule.
#[cfg_attr(
    not(any(feature = "aliyun_fc", feature = "http", feature = "tencent_scf")),
    allow(dead_code)
)]
/// `$LIGHT_RUNTIME_LISTEN_HOST:<port>`: the port from the first of
/// `port_vars` that is set, else `default_port`.
pub(crate) fn listen_addr(
    env: &runtime_engine::Environment,
    port_vars: &[&str],
    default_port: u16,
) -> Result<SocketAddr, Error> {
    let host = match env.get(LISTEN_HOST_VAR) {
        Some(text) => text.parse::<IpAddr>().map_err(|_| {
            Error::config(format!(
                "{LISTEN_HOST_VAR} must be an IP address such as 0.0.0.0 or 127.0.0.1, got {text:?}"
            ))
        })?,
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    for var in port_vars {
        if let Some(text) = env.get(var) {
            let port = text.parse::<u16>().map_err(|_| {
                Error::config(format!(
                    "{var} must be a port number (0-65535), got {text:?}"
                ))
            })?;
            return Ok(SocketAddr::new(host, port));
        }
    }
    Ok(SocketAddr::new(host, default_port))
}

/// Binds `addr`, with an error that says which variable to change.
pub(crate) async fn bind(addr: SocketAddr, port_var: &str) -> Result<TcpListener, Error> {
    TcpListener::bind(addr).await.map_err(|e| {
        Error::config(format!(
            "cannot listen on {addr} (is another process using the port? set {port_var})"
        ))
        .with_source(e)
    })
}

/// The invocation timeout from `LIGHT_RUNTIME_TIMEOUT_MS`, for platforms
/// that send no deadline; `None` when unset.
pub(crate) fn configured_timeout(
    env: &runtime_engine::Environment,
) -> Result<Option<Duration>, Error> {
    match env.get(TIMEOUT_VAR) {
        Some(text) => text
            .parse::<u64>()
            .ok()
            // A deadline past a day would overflow the clock if huge.
            .filter(|ms| *ms <= MAX_TIMEOUT_MS)
            .map(|ms| Some(Duration::from_millis(ms)))
            .ok_or_else(|| {
                Error::config(format!(
                    "{TIMEOUT_VAR} must be a number of milliseconds up to {MAX_TIMEOUT_MS} \
                     (a day), got {text:?}"
                ))
            }),
        None => Ok(None),
    }
}

/// The longest [`TIMEOUT_VAR`] accepted: a day.
const MAX_TIMEOUT_MS: u64 = 24 * 60 * 60 * 1000;

/// The invocation timeout for push platforms that send no deadline.
pub const TIMEOUT_VAR: &str = "LIGHT_RUNTIME_TIMEOUT_MS";

/// Overrides the platform's shutdown grace period, in milliseconds: from
/// SIGTERM (or FC `/pre-stop`) to the end of `Close`, draining included.
pub const SHUTDOWN_GRACE_VAR: &str = "LIGHT_RUNTIME_SHUTDOWN_GRACE_MS";

/// Overrides how many bytes of large request bodies may be in memory at
/// once (default: the platform's largest payload, so one at a time).
pub const BODY_BYTES_IN_FLIGHT_VAR: &str = "LIGHT_RUNTIME_BODY_BYTES_IN_FLIGHT";

/// Serves connections on `listener`, each request answered by `route`,
/// until `stop` fires; then begins `grace`'s shutdown (bodies still
/// arriving are refused), lets open connections finish their request
/// within its drain time, and returns.
pub(crate) async fn serve<R, Fut>(
    listener: TcpListener,
    stop: CancellationToken,
    grace: Arc<Grace>,
    route: R,
) where
    R: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let drain_connections = drain::Drain::default();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!("accept failed: {error}");
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let route = route.clone();
        let service = hyper::service::service_fn(move |request| {
            let reply = route(request);
            async move { Ok::<_, Infallible>(reply.await) }
        });
        // Platforms keep connections alive for a long time (FC asks for an
        // idle timeout of 15 min or none): no server-side timeout here.
        // Upgrades (websockets) are let through: hyper's `OnUpgrade` stays
        // in the request's extensions, so a function that answers `101`
        // can take the connection over (web mode passes it to its app).
        let connection = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let connection = drain_connections.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                report_connection_error(&error, peer);
            }
        });
    }
    grace.begin();
    drop(listener);
    if !drain_connections.shutdown(grace.drain_left()).await {
        tracing::warn!(
            "connections still open when the {} ms shutdown grace ran out; \
             closing anyway",
            grace.period().as_millis()
        );
    }
}

/// A connection that ended with an error may have carried a request that
/// never reached a route (a malformed or oversized head, a body cut short):
/// hyper answered it with a bare status if it could; the operator hears of
/// it here, on stderr.
fn report_connection_error(error: &hyper::Error, peer: SocketAddr) {
    if error.is_parse() || error.is_parse_too_large() || error.is_incomplete_message() {
        tracing::warn!("a request from {peer} could not be read and was not invoked: {error}");
    } else {
        tracing::debug!("connection from {peer} ended: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_engine::Environment;

    #[test]
    fn listen_address_comes_from_the_first_port_variable_set() {
        let env = Environment::from_vars([("B_PORT", "9100"), ("C_PORT", "9200")]);
        let addr = listen_addr(&env, &["A_PORT", "B_PORT", "C_PORT"], 9000).unwrap();
        assert_eq!(addr, "0.0.0.0:9100".parse().unwrap());
        let env = Environment::from_vars([(LISTEN_HOST_VAR, "127.0.0.1")]);
        assert_eq!(
            listen_addr(&env, &["A_PORT"], 9000).unwrap(),
            "127.0.0.1:9000".parse().unwrap()
        );
        let huge = Environment::from_vars([(TIMEOUT_VAR, "18446744073709551615")]);
        assert!(
            configured_timeout(&huge).is_err(),
            "a deadline that overflows is refused"
        );
        let env = Environment::from_vars([("A_PORT", "ninety")]);
        let error = listen_addr(&env, &["A_PORT"], 9000).unwrap_err();
        assert!(
            error.to_string().contains("A_PORT must be a port number"),
            "{error}"
        );
    }
}
