//! The process's `tracing` subscriber, assembled from the layers that need
//! one (logging's formatter, tracing's OpenTelemetry bridge) and installed
//! once.

#[cfg(any(feature = "logging", feature = "trace", feature = "capture"))]
use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt, Registry};

/// What one layer adds to the `tracing` subscriber: an opaque, boxed
/// `tracing_subscriber::Layer` over the registry.
pub struct SubscriberLayer {
    #[cfg(any(feature = "logging", feature = "trace", feature = "capture"))]
    pub(crate) inner: Box<dyn tracing_subscriber::Layer<Registry> + Send + Sync>,
    #[cfg(not(any(feature = "logging", feature = "trace", feature = "capture")))]
    _never: std::convert::Infallible,
}

impl std::fmt::Debug for SubscriberLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubscriberLayer")
    }
}

#[cfg(any(feature = "logging", feature = "trace", feature = "capture"))]
impl SubscriberLayer {
    pub(crate) fn new(layer: impl tracing_subscriber::Layer<Registry> + Send + Sync) -> Self {
        SubscriberLayer {
            inner: Box::new(layer),
        }
    }
}

/// Installs a global subscriber made of `layers`, if there are any.
///
/// Returns whether it was installed: `false` when `layers` is empty or the
/// process already has a global subscriber (the application set its own;
/// a warning says that the layers' output is lost and why).
pub fn install(layers: Vec<SubscriberLayer>) -> bool {
    if layers.is_empty() {
        return false;
    }
    #[cfg(any(feature = "logging", feature = "trace", feature = "capture"))]
    {
        let stack: Vec<_> = layers.into_iter().map(|l| l.inner).collect();
        match tracing_subscriber::registry().with(stack).try_init() {
            Ok(()) => true,
            Err(_) => {
                tracing::warn!(
                    "light-runtime: a global tracing subscriber is already set, so the logging/tracing \
                     layers' subscriber was not installed; remove the other subscriber or the layers"
                );
                false
            }
        }
    }
    #[cfg(not(any(feature = "logging", feature = "trace", feature = "capture")))]
    {
        drop(layers);
        false
    }
}

/// Warns with `message` exactly once where it will be seen: through
/// `tracing` when a subscriber will take it (the application's, the logging
/// layer's, or light-runtime's stderr fallback, installed when a run
/// starts), else straight to stderr. For warnings that may come before any
/// subscriber exists, such as variables read when a layer is built.
pub(crate) fn warn(message: &str) {
    let heard = tracing::dispatcher::get_default(|current| {
        !current.is::<tracing::subscriber::NoSubscriber>()
    });
    if heard {
        tracing::warn!("{message}");
    } else {
        eprintln!("{message}");
    }
}
