//! [`EnvLayers`]: the layers a platform team turns on without a code change,
//! with `LIGHT_RUNTIME_LAYERS=logging,metrics,tracing,timeout`, and the
//! relay, turned on by its own variable (`LIGHT_RUNTIME_RELAY`).
//!
//! The runtime reads the variable when it starts; each named layer is built
//! from its own variables (`AWS_LAMBDA_LOG_LEVEL`, `OTEL_*`, ...) and wraps
//! the whole pipeline, outside the layers added in code. The set is only
//! known at run time, so each layer sits in the pipeline as a two-way branch
//! (`tower::util::Either`: the layer, or a pass-through): no boxing, no
//! allocation, and one predictable branch per layer when it is off.

use std::sync::Arc;

use runtime_engine::Environment;
use runtime_engine::{Budgets, FunctionInfo, Hook, Lifecycle};
use tower::layer::util::{Identity, Stack};
#[cfg(any(
    feature = "logging",
    feature = "trace",
    feature = "metrics",
    feature = "timeout",
    feature = "relay",
    feature = "capture"
))]
use tower::util::{option_layer, Either};

use crate::subscriber::SubscriberLayer;
use crate::LifecycleLayer;

/// The variable listing the layers to turn on, comma separated.
pub const LAYERS_VAR: &str = "LIGHT_RUNTIME_LAYERS";

/// The layers named by `LIGHT_RUNTIME_LAYERS`; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct EnvLayers {
    #[cfg(feature = "logging")]
    logging: Option<crate::LoggingLayer>,
    #[cfg(feature = "trace")]
    tracing: Option<crate::TracingLayer>,
    #[cfg(feature = "metrics")]
    metrics: Option<crate::MetricsLayer>,
    #[cfg(feature = "timeout")]
    timeout: Option<crate::TimeoutLayer>,
    #[cfg(feature = "relay")]
    relay: Option<crate::RelayLayer>,
    #[cfg(feature = "capture")]
    capture: Option<crate::CaptureLayer>,
}

impl EnvLayers {
    /// Reads `LIGHT_RUNTIME_LAYERS` from `env` (`logging`, `metrics`,
    /// `tracing` or `trace`, `timeout`, `capture`; `all` for every one in
    /// this build but `capture`, which keeps events and is turned on only
    /// by name). Unknown names, and layers whose cargo feature is not in
    /// this build, warn and are skipped. `LIGHT_RUNTIME_CAPTURE` set to
    /// anything but `off` turns capture on too; the relay is on when
    /// `LIGHT_RUNTIME_RELAY` is set (see [`crate::relay`]).
    pub fn from_environment(env: &Environment) -> Self {
        #[allow(unused_mut)]
        let mut layers = EnvLayers::default();
        #[cfg(feature = "relay")]
        {
            layers.relay = crate::RelayLayer::from_environment(env);
        }
        #[cfg(feature = "capture")]
        {
            layers.capture = crate::CaptureLayer::from_environment(env);
        }
        let Some(list) = env.get(LAYERS_VAR) else {
            return layers;
        };
        for name in list.split(',').map(|n| n.trim().to_ascii_lowercase()) {
            let all = name == "all";
            #[allow(unused_mut)]
            let mut known = all;
            #[cfg(feature = "logging")]
            if all || name == "logging" {
                layers.logging = Some(crate::LoggingLayer::from_environment(env));
                known = true;
            }
            #[cfg(feature = "trace")]
            if all || name == "tracing" || name == "trace" {
                layers.tracing = Some(crate::TracingLayer::from_environment(env));
                known = true;
            }
            #[cfg(feature = "metrics")]
            if all || name == "metrics" {
                layers.metrics = Some(crate::MetricsLayer::from_environment(env));
                known = true;
            }
            #[cfg(feature = "timeout")]
            if all || name == "timeout" {
                layers.timeout = Some(crate::TimeoutLayer::from_environment(env));
                known = true;
            }
            // Not in `all`: capture keeps events, which is a choice to
            // make by name.
            #[cfg(feature = "capture")]
            if name == "capture" && layers.capture.is_none() {
                layers.capture = Some(crate::CaptureLayer::from_environment_on(env));
            }
            #[cfg(feature = "capture")]
            if name == "capture" {
                known = true;
            }
            if known || name.is_empty() {
                continue;
            }
            let expected = match name.as_str() {
                "logging" | "metrics" | "tracing" | "trace" | "timeout" | "capture" => {
                    "a layer whose cargo feature is in this build (enable it on light-runtime)"
                }
                "relay" => "logging, metrics, tracing or timeout (the relay is turned on by LIGHT_RUNTIME_RELAY=URL)",
                "preload" => "logging, metrics, tracing or timeout (preload needs initialisers registered in code)",
                _ => "logging, metrics, tracing, timeout, capture or all",
            };
            crate::variables::warn_invalid(LAYERS_VAR, &name, expected, "the name skipped");
        }
        layers
    }

    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self::from_environment(&Environment::process())
    }

    fn each(&self, mut f: impl FnMut(&dyn Dispatch)) {
        #[cfg(feature = "logging")]
        if let Some(layer) = &self.logging {
            f(layer);
        }
        #[cfg(feature = "trace")]
        if let Some(layer) = &self.tracing {
            f(layer);
        }
        #[cfg(feature = "metrics")]
        if let Some(layer) = &self.metrics {
            f(layer);
        }
        #[cfg(feature = "timeout")]
        if let Some(layer) = &self.timeout {
            f(layer);
        }
        #[cfg(feature = "relay")]
        if let Some(layer) = &self.relay {
            f(layer);
        }
        #[cfg(feature = "capture")]
        if let Some(layer) = &self.capture {
            f(layer);
        }
        let _ = &mut f;
    }

    /// The names of the layers turned on, in the order their hooks are
    /// registered (logging first; in the tower stack capture is outermost).
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        self.each(|layer| names.push(layer.name()));
        names
    }

    /// Turns off the layer called `name` (as [`LifecycleLayer::name`] says
    /// it); returns whether it was on. The runtime does this for a layer the
    /// function already adds in code, so it is installed once: two logging
    /// or tracing subscribers in one process would fight over each span.
    pub fn without(&mut self, name: &str) -> bool {
        #[allow(unused_mut)]
        let mut was_on = false;
        #[cfg(feature = "logging")]
        if name == "logging" {
            was_on |= self.logging.take().is_some();
        }
        #[cfg(feature = "trace")]
        if name == "tracing" {
            was_on |= self.tracing.take().is_some();
        }
        #[cfg(feature = "metrics")]
        if name == "metrics" {
            was_on |= self.metrics.take().is_some();
        }
        #[cfg(feature = "timeout")]
        if name == "timeout" {
            was_on |= self.timeout.take().is_some();
        }
        #[cfg(feature = "relay")]
        if name == "relay" {
            was_on |= self.relay.take().is_some();
        }
        #[cfg(feature = "capture")]
        if name == "capture" {
            was_on |= self.capture.take().is_some();
        }
        let _ = name;
        was_on
    }

    /// Whether no layer is turned on.
    pub fn is_empty(&self) -> bool {
        self.names().is_empty()
    }

    /// Applies each layer's budget adjustment.
    pub fn budgets(&self, mut budgets: Budgets) -> Budgets {
        self.each(|layer| budgets = layer.budgets(budgets.clone()));
        budgets
    }

    /// Each layer's contribution to the `tracing` subscriber.
    pub fn subscriber_layers(&self, function: &FunctionInfo) -> Vec<SubscriberLayer> {
        let mut out = Vec::new();
        self.each(|layer| out.extend(layer.subscriber_layer(function)));
        out
    }

    /// Each layer's hook, outermost first.
    pub fn hooks(&self) -> Vec<Box<dyn Hook>> {
        let mut out = Vec::new();
        self.each(|layer| out.extend(layer.hook()));
        out
    }

    /// Shows each layer the lifecycle.
    pub fn attach(&self, lifecycle: &Arc<Lifecycle>) {
        self.each(|layer| layer.attach(lifecycle));
    }

    /// The layers turned on, as one tower layer: the first named is
    /// outermost, the relay innermost (the others see every invocation it
    /// forwards); a layer not turned on is a pass-through branch.
    pub fn stack(&self) -> EnvStack {
        #[cfg(feature = "logging")]
        let logging = option_layer(self.logging.clone());
        #[cfg(not(feature = "logging"))]
        let logging = Identity::new();
        #[cfg(feature = "trace")]
        let tracing = option_layer(self.tracing.clone());
        #[cfg(not(feature = "trace"))]
        let tracing = Identity::new();
        #[cfg(feature = "metrics")]
        let metrics = option_layer(self.metrics.clone());
        #[cfg(not(feature = "metrics"))]
        let metrics = Identity::new();
        #[cfg(feature = "timeout")]
        let timeout = option_layer(self.timeout);
        #[cfg(not(feature = "timeout"))]
        let timeout = Identity::new();
        #[cfg(feature = "relay")]
        let relay = option_layer(self.relay.clone());
        #[cfg(not(feature = "relay"))]
        let relay = Identity::new();
        #[cfg(feature = "capture")]
        let capture = option_layer(self.capture.clone());
        #[cfg(not(feature = "capture"))]
        let capture = Identity::new();
        Stack::new(
            relay,
            Stack::new(
                timeout,
                Stack::new(metrics, Stack::new(tracing, Stack::new(logging, capture))),
            ),
        )
    }
}

#[cfg(feature = "logging")]
type LoggingSlot = Either<crate::LoggingLayer, Identity>;
#[cfg(not(feature = "logging"))]
type LoggingSlot = Identity;
#[cfg(feature = "trace")]
type TracingSlot = Either<crate::TracingLayer, Identity>;
#[cfg(not(feature = "trace"))]
type TracingSlot = Identity;
#[cfg(feature = "metrics")]
type MetricsSlot = Either<crate::MetricsLayer, Identity>;
#[cfg(not(feature = "metrics"))]
type MetricsSlot = Identity;
#[cfg(feature = "capture")]
type CaptureSlot = Either<crate::CaptureLayer, Identity>;
#[cfg(not(feature = "capture"))]
type CaptureSlot = Identity;
#[cfg(feature = "timeout")]
type TimeoutSlot = Either<crate::TimeoutLayer, Identity>;
#[cfg(not(feature = "timeout"))]
type TimeoutSlot = Identity;
#[cfg(feature = "relay")]
type RelaySlot = Either<crate::RelayLayer, Identity>;
#[cfg(not(feature = "relay"))]
type RelaySlot = Identity;

/// The tower layer of [`EnvLayers::stack`]: capture outermost (it sees
/// every other layer's failures), then logging, tracing, metrics, timeout
/// and the relay innermost, each either on or a pass-through.
pub type EnvStack = Stack<
    RelaySlot,
    Stack<TimeoutSlot, Stack<MetricsSlot, Stack<TracingSlot, Stack<LoggingSlot, CaptureSlot>>>>,
>;

/// A [`LifecycleLayer`] usable behind `dyn`.
trait Dispatch {
    fn name(&self) -> &'static str;
    fn budgets(&self, budgets: Budgets) -> Budgets;
    fn subscriber_layer(&self, function: &FunctionInfo) -> Option<SubscriberLayer>;
    fn hook(&self) -> Option<Box<dyn Hook>>;
    fn attach(&self, lifecycle: &Arc<Lifecycle>);
}

impl<L: LifecycleLayer> Dispatch for L {
    fn name(&self) -> &'static str {
        LifecycleLayer::name(self)
    }
    fn budgets(&self, budgets: Budgets) -> Budgets {
        LifecycleLayer::budgets(self, budgets)
    }
    fn subscriber_layer(&self, function: &FunctionInfo) -> Option<SubscriberLayer> {
        LifecycleLayer::subscriber_layer(self, function)
    }
    fn hook(&self) -> Option<Box<dyn Hook>> {
        LifecycleLayer::hook(self)
    }
    fn attach(&self, lifecycle: &Arc<Lifecycle>) {
        LifecycleLayer::attach(self, lifecycle)
    }
}

#[cfg(all(test, feature = "logging", feature = "timeout"))]
mod tests {
    use super::*;

    #[test]
    fn a_layer_can_be_turned_off_once_it_is_known_to_be_added_in_code() {
        let env = Environment::from_vars([(LAYERS_VAR, "logging,timeout")]);
        let mut layers = EnvLayers::from_environment(&env);
        assert_eq!(layers.names(), ["logging", "timeout"]);
        assert!(layers.without("logging"));
        assert!(!layers.without("logging"), "already off");
        assert!(!layers.without("metrics"), "never on");
        assert_eq!(layers.names(), ["timeout"]);
    }
}

#[cfg(all(test, feature = "capture"))]
mod capture_tests {
    use super::*;

    #[test]
    fn capture_is_on_by_its_own_variable_or_by_name_and_off_by_off() {
        let names = |vars: &[(&str, &str)]| {
            EnvLayers::from_environment(&Environment::from_vars(vars.iter().copied())).names()
        };
        assert_eq!(names(&[("LIGHT_RUNTIME_CAPTURE", "failures")]), ["capture"]);
        assert_eq!(names(&[(LAYERS_VAR, "capture")]), ["capture"]);
        assert!(names(&[("LIGHT_RUNTIME_CAPTURE", "off")]).is_empty());
        assert!(names(&[]).is_empty());
        assert!(!names(&[(LAYERS_VAR, "all")]).contains(&"capture"));
    }
}
