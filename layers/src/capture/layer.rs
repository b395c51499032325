//! [`CaptureLayer`] and [`CaptureHook`], which writes the queued captures
//! after the response (`AfterResponse`, and `Close` for what is left).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use runtime_engine::{
    BoxError, Context, Environment, FunctionInfo, Hook, HookFuture, Outcome, Phase, Phases,
};
use tower_layer::Layer;

use super::build::build;
use super::config::{CaptureConfig, CAPTURE_VAR};
use super::logs::CaptureLogs;
use super::service::Capture;
use super::state::CaptureState;
use crate::subscriber::SubscriberLayer;
use crate::LifecycleLayer;

/// Keeps the scene of failed invocations; see the [module docs](super).
///
/// ```
/// use light_runtime_layers::capture::{CaptureConfig, CaptureLayer, Sink};
/// let capture = CaptureLayer::new(
///     CaptureConfig::failures().sink(Sink::Stdout).per_minute(5),
/// );
/// assert_eq!(capture.written(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct CaptureLayer {
    state: Arc<CaptureState>,
}

impl CaptureLayer {
    /// A capture layer with `config`.
    pub fn new(config: CaptureConfig) -> Self {
        Self::with_state(
            Ok(config),
            &Environment::from_vars(std::iter::empty::<(&str, &str)>()),
        )
    }

    /// Reads `LIGHT_RUNTIME_CAPTURE*` from `env`; `None` when capture is
    /// off. An invalid variable gives a layer that fails `RuntimeStart`
    /// with the reason (the function does not start with a capture it
    /// cannot honour).
    pub fn from_environment(env: &Environment) -> Option<Self> {
        match CaptureConfig::from_environment(env) {
            Ok(None) => None,
            Ok(Some(config)) => Some(Self::with_state(Ok(config), env)),
            Err(reason) => Some(Self::with_state(Err(reason), env)),
        }
    }

    /// Like [`from_environment`](Self::from_environment), always on:
    /// `LIGHT_RUNTIME_LAYERS=capture` without `LIGHT_RUNTIME_CAPTURE` is
    /// `failures`.
    pub fn from_environment_on(env: &Environment) -> Self {
        let mode = env.get(CAPTURE_VAR).unwrap_or_default();
        let mode = if mode.trim().eq_ignore_ascii_case("off") {
            ""
        } else {
            mode.trim()
        };
        Self::with_state(CaptureConfig::from_environment_on(env, mode), env)
    }

    fn with_state(config: Result<CaptureConfig, String>, env: &Environment) -> Self {
        let list = |var: &str| -> Vec<String> {
            env.get(var)
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let layers = list(crate::env_layers::LAYERS_VAR);
        // Plugins are named by path; only the file name is configuration,
        // the folders may say more than they should.
        let plugins = list("LIGHT_RUNTIME_PLUGINS")
            .into_iter()
            .map(|p| p.rsplit('/').next().unwrap_or(&p).to_owned())
            .collect();
        CaptureLayer {
            state: Arc::new(CaptureState::new(config, layers, plugins)),
        }
    }

    /// Captures written so far.
    pub fn written(&self) -> u64 {
        self.state.written.load(Ordering::Relaxed)
    }

    /// Captures that could not be written (the sink failed).
    pub fn failed(&self) -> u64 {
        self.state.failed.load(Ordering::Relaxed)
    }

    /// Redacts and writes every queued capture now, as the hook does
    /// after each response.
    pub async fn flush(&self) {
        let Ok(config) = &self.state.config else {
            return;
        };
        for pending in self.state.drain() {
            let dropped = self.state.limit.take_dropped();
            let built = build(
                pending,
                config,
                &self.state.layers,
                &self.state.plugins,
                dropped,
            );
            match super::sink::write(
                &config.sink,
                &built.stamp,
                &built.request_id,
                &built.json,
                config.timeout,
            )
            .await
            {
                Ok(_) => {
                    self.state.written.fetch_add(1, Ordering::Relaxed);
                }
                Err(reason) => {
                    self.state.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: "light_runtime::capture", "a capture was lost: {reason}");
                }
            }
        }
    }
}

impl<S> Layer<S> for CaptureLayer {
    type Service = Capture<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Capture::new(inner, self.state.clone())
    }
}

impl LifecycleLayer for CaptureLayer {
    fn name(&self) -> &'static str {
        "capture"
    }

    fn subscriber_layer(&self, _function: &FunctionInfo) -> Option<SubscriberLayer> {
        Some(SubscriberLayer::new(CaptureLogs))
    }

    fn hook(&self) -> Option<Box<dyn Hook>> {
        Some(Box::new(CaptureHook(self.clone())))
    }
}

/// Checks the settings at `RuntimeStart`, writes queued captures at
/// `AfterResponse` and `Close`; with nothing queued each costs one atomic
/// load.
#[derive(Debug)]
pub struct CaptureHook(CaptureLayer);

impl Hook for CaptureHook {
    fn name(&self) -> &str {
        "capture"
    }

    fn phases(&self) -> Phases {
        // Not `Freeze`: it follows `AfterResponse`, which writes already,
        // and each phase a hook takes part in is timed per invocation.
        Phases::of(&[Phase::RuntimeStart, Phase::AfterResponse, Phase::Close])
    }

    fn on_runtime_start(&self, _function: &FunctionInfo) -> Result<(), BoxError> {
        match &self.0.state.config {
            Ok(_) => Ok(()),
            Err(reason) => Err(reason.clone().into()),
        }
    }

    fn on_after_response<'a>(
        &'a self,
        _context: &'a Context,
        _outcome: &'a Outcome,
    ) -> HookFuture<'a> {
        self.flush()
    }

    fn on_close(&self) -> HookFuture<'_> {
        self.flush()
    }
}

impl CaptureHook {
    fn flush(&self) -> HookFuture<'_> {
        if !self.0.state.has_pending() {
            return HookFuture::done();
        }
        HookFuture::new(async move {
            self.0.flush().await;
            Ok(())
        })
    }
}
