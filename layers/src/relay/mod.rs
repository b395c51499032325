//! Relay: every invocation this instance receives, handled by the
//! developer's machine. With `LIGHT_RUNTIME_RELAY=http://host:port` and
//! `LIGHT_RUNTIME_RELAY_SECRET` set, each invocation (event, context,
//! remaining deadline, platform headers) is posted over a connection the
//! instance opens outward to `light-runtime relay`, which runs it on the
//! local build; its answer is what this instance answers the platform.
//!
//! Both directions are signed with the shared secret ([`signature`]). When
//! the relay is unreachable, refuses, is slower than the deadline (less a
//! margin) or disconnects mid-invocation, the instance answers a
//! `Relay.*` error ([`RelayFailure`]) or, with
//! `LIGHT_RUNTIME_RELAY_FALLBACK=local`, runs its own handler: exactly one
//! answer either way. The wire and the choices: `docs/design/relay.md`;
//! usage and the security model: `docs/relay.md`.
//!
//! It is the innermost of the environment's layers (logging, tracing and
//! metrics still see each invocation) and sits outside the engine's hooks,
//! which run on the laptop's build instead (and here on the fallback).
//!
//! # Layout
//! - `mod.rs`: [`RelayLayer`] and its variables.
//! - [`signature`]: the HMAC-SHA256 signing and checking of each message.
//! - [`wire`]: [`RelayedInvocation`](wire::RelayedInvocation) and
//!   [`RelayedAnswer`](wire::RelayedAnswer), the JSON bodies.
//! - [`service`]: [`Relay`], the tower service, its fallback and deadline.
//! - [`client`]: the keep-alive connections to the relay and its URL.
//! - [`failure`]: [`RelayFailure`], why no answer came.

pub mod client;
pub mod failure;
pub mod service;
pub mod signature;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use runtime_engine::Environment;
use tower_layer::Layer;

use crate::LifecycleLayer;
pub use failure::RelayFailure;
pub use service::Relay;

/// The relay's URL; setting it turns the relay on.
pub const URL_VAR: &str = "LIGHT_RUNTIME_RELAY";
/// The shared secret (at least 16 bytes).
pub const SECRET_VAR: &str = "LIGHT_RUNTIME_RELAY_SECRET";
/// `error` (the default) or `local`: what to answer when the relay fails.
pub const FALLBACK_VAR: &str = "LIGHT_RUNTIME_RELAY_FALLBACK";
/// How long before the deadline the instance stops waiting, in milliseconds.
pub const MARGIN_VAR: &str = "LIGHT_RUNTIME_RELAY_MARGIN_MS";

/// The default [`MARGIN_VAR`]: time to post the error (or the answer) to
/// the platform before its deadline.
pub const DEFAULT_MARGIN: Duration = Duration::from_millis(250);

/// What the instance answers when the relay gives no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// A `Relay.*` error saying what went wrong.
    Error,
    /// The instance's own handler's answer. It then gets half the time
    /// the invocation had: the relay waits at most the other half.
    Local,
}

/// Forwards every invocation to the relay; see the module docs.
#[derive(Clone, Debug)]
pub struct RelayLayer {
    shared: Arc<service::Shared>,
}

impl RelayLayer {
    /// A relay to `url` (`http://host:port[/path]`) signed with `secret`.
    /// A bad URL or a short secret is kept as the reason every invocation
    /// fails (`Relay.Misconfigured`), so a misconfigured relay is loud.
    pub fn new(url: &str, secret: impl Into<Vec<u8>>) -> Self {
        let target = client::RelayUrl::parse(url).and_then(|url| {
            let secret =
                signature::Secret::new(secret).map_err(|why| format!("{SECRET_VAR}: {why}"))?;
            Ok((client::RelayClient::new(url), secret))
        });
        Self::with_target(target)
    }

    fn with_target(target: Result<(client::RelayClient, signature::Secret), String>) -> Self {
        if let Err(why) = &target {
            crate::subscriber::warn(&format!(
                "light-runtime: the relay is misconfigured ({why}); no invocation is relayed"
            ));
        }
        RelayLayer {
            shared: Arc::new(service::Shared {
                target,
                fallback: Fallback::Error,
                margin: DEFAULT_MARGIN,
            }),
        }
    }

    /// Sets what to answer when the relay fails.
    pub fn with_fallback(mut self, fallback: Fallback) -> Self {
        self.shared_mut().fallback = fallback;
        self
    }

    /// Sets how long before the deadline the instance stops waiting.
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.shared_mut().margin = margin;
        self
    }

    fn shared_mut(&mut self) -> &mut service::Shared {
        Arc::get_mut(&mut self.shared).expect("configured before it is cloned")
    }

    /// The relay from `env`, or `None` when `LIGHT_RUNTIME_RELAY` is not
    /// set. Without `LIGHT_RUNTIME_RELAY_SECRET` the relay is on and every
    /// invocation fails `Relay.Misconfigured` (or falls back): an unsigned
    /// relay is never used.
    pub fn from_environment(env: &Environment) -> Option<Self> {
        let url = env.get(URL_VAR).filter(|url| !url.trim().is_empty())?;
        let secret = env.get(SECRET_VAR).unwrap_or_default();
        let fallback =
            match crate::variables::choice(env, FALLBACK_VAR, &["error", "local"], "error") {
                "local" => Fallback::Local,
                _ => Fallback::Error,
            };
        let margin = crate::variables::millis(env, MARGIN_VAR, DEFAULT_MARGIN);
        let layer = if secret.is_empty() {
            Self::with_target(Err(format!("{SECRET_VAR} is not set")))
        } else {
            RelayLayer::new(&url, secret)
        };
        Some(layer.with_fallback(fallback).with_margin(margin))
    }
}

impl<S> Layer<S> for RelayLayer {
    type Service = Relay<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Relay::new(inner, self.shared.clone())
    }
}

impl LifecycleLayer for RelayLayer {
    fn name(&self) -> &'static str {
        "relay"
    }
}
