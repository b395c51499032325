//! [`App`]: the app's process, supervised. Launched before the runtime is
//! built and awaited until ready at `FunctionStart`; when it exits it is started again (after a short,
//! growing pause if it keeps failing) and awaited again; stopped at
//! `Close` with SIGTERM and a grace. Requests see its [`State`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use super::readiness::{Probe, Prober};
use crate::child::{Child, ChildCommand};

/// The first pause before starting an app that exited again; doubled on
/// each exit before readiness, up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// Where the app is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum State {
    /// Start number `run` is under way and not ready yet; `previous` says
    /// how the one before ended ("exit status 1"), if there was one.
    Starting { run: u64, previous: Option<String> },
    /// Start number `run` is ready for requests.
    Ready { run: u64 },
    /// Stopped at `Close`; it is not started again.
    Stopped,
}

/// The supervised app; clones share it.
#[derive(Debug, Clone)]
pub(crate) struct App {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    command: ChildCommand,
    prober: Prober,
    state: watch::Sender<State>,
    /// The process of the current start, for `stop`.
    current: Mutex<Option<Arc<Child>>>,
    /// The last probe that found the app not ready, for the init error.
    last_probe: Mutex<Option<String>>,
}

impl App {
    /// The app `command`, listening on `addr`, ready when `probe` says so.
    /// Nothing runs until [`start`](Self::start).
    pub(crate) fn new(command: ChildCommand, addr: SocketAddr, probe: Probe) -> Self {
        let (state, _) = watch::channel(State::Starting {
            run: 0,
            previous: None,
        });
        App {
            shared: Arc::new(Shared {
                command,
                prober: Prober::new(probe, addr),
                state,
                current: Mutex::new(None),
                last_probe: Mutex::new(None),
            }),
        }
    }

    /// Starts the app's process and its supervisor, without waiting for
    /// it. Called first thing, before the runtime detects its platform and
    /// builds its adapter, so the app's start-up overlaps the runtime's (as
    /// Lambda starts an extension beside the function): the cold start is
    /// the longer of the two, not their sum (`web-vs-adapter`).
    pub(crate) fn launch(&self) -> Result<(), String> {
        let first = self.shared.command.spawn().map_err(|e| e.to_string())?;
        tokio::spawn(supervise(self.shared.clone(), first));
        Ok(())
    }

    /// Waits, at `FunctionStart`, up to `timeout` until the
    /// [launched](Self::launch) app is ready. Fails when it exits first or
    /// is not ready in time, unless `async_init`: then it answers at
    /// `timeout` and requests wait.
    pub(crate) async fn ready(&self, timeout: Duration, async_init: bool) -> Result<(), String> {
        let mut state = self.shared.state.subscribe();
        let waited = tokio::time::timeout(
            timeout,
            state.wait_for(|state| match state {
                State::Ready { .. } | State::Stopped => true,
                State::Starting { previous, .. } => previous.is_some() && !async_init,
            }),
        )
        .await;
        let command = self.shared.command.display();
        match waited {
            Ok(Ok(state)) => match &*state {
                State::Ready { .. } => Ok(()),
                State::Starting {
                    previous: Some(exit),
                    ..
                } => Err(format!(
                    "the app `{command}` exited before it was ready ({}): {exit}",
                    self.shared.prober.describe()
                )),
                _ => Err(format!("the app `{command}` was stopped during init")),
            },
            Ok(Err(_)) => Err("the app's supervisor ended during init".into()),
            Err(_) if async_init => {
                tracing::info!(
                    "the app `{command}` is not ready after {} ms; init answered, \
                     the first request waits for it (--async-init)",
                    timeout.as_millis()
                );
                Ok(())
            }
            Err(_) => {
                let last = self
                    .shared
                    .last_probe
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()
                    .unwrap_or_else(|| "no probe finished".into());
                Err(format!(
                    "the app `{command}` was not ready within {} ms: probed with {}; last: {last}. \
                     Check that it listens on that port (it is given PORT), or raise \
                     --ready-timeout / use --async-init",
                    timeout.as_millis(),
                    self.shared.prober.describe()
                ))
            }
        }
    }

    /// The app's state now and as it changes.
    pub(crate) fn state(&self) -> watch::Receiver<State> {
        self.shared.state.subscribe()
    }

    /// Stops the app for good: SIGTERM, `grace` to exit, then SIGKILL.
    pub(crate) async fn stop(&self, grace: Duration) {
        self.shared.state.send_replace(State::Stopped);
        let current = self
            .shared
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(child) = current {
            let exit = child.stop(grace).await;
            tracing::info!("the app stopped: {exit}");
        }
    }
}

/// Watches each start of the app until it exits, then starts it again,
/// until the app is stopped.
async fn supervise(shared: Arc<Shared>, first: Child) {
    let mut child = Arc::new(first);
    let mut run = 0u64;
    let mut pause = FIRST_PAUSE;
    loop {
        *shared
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(child.clone());
        if stopped(&shared) {
            // Stopped while this start was being made.
            child.stop(Duration::ZERO).await;
            return;
        }
        let ready = shared.prober.until_ready(|not_ready| {
            *shared
                .last_probe
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(not_ready.to_string());
        });
        let became_ready = tokio::select! {
            () = ready => true,
            _ = child.exited() => false,
        };
        if became_ready {
            pause = FIRST_PAUSE;
            shared.state.send_if_modified(|state| {
                let changed = matches!(state, State::Starting { run: r, .. } if *r == run);
                if changed {
                    *state = State::Ready { run };
                }
                changed
            });
        }
        let exit = child.exited().await;
        if stopped(&shared) {
            return;
        }
        tracing::warn!(
            "the app `{}` exited ({exit}); starting it again",
            shared.command.display()
        );
        run += 1;
        shared.state.send_replace(State::Starting {
            run,
            previous: Some(format!("app exited: {exit}")),
        });
        loop {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
            if stopped(&shared) {
                return;
            }
            match shared.command.spawn() {
                Ok(next) => {
                    child = Arc::new(next);
                    break;
                }
                Err(error) => {
                    tracing::warn!("{error}; trying again");
                    shared.state.send_replace(State::Starting {
                        run,
                        previous: Some(format!("app could not start: {error}")),
                    });
                }
            }
        }
    }
}

fn stopped(shared: &Shared) -> bool {
    *shared.state.borrow() == State::Stopped
}

/// Resolves when start `run` of the app (as `state` tells) is no longer
/// the ready one, with how it ended.
pub(crate) async fn ended(state: &mut watch::Receiver<State>, run: u64) -> String {
    let ended = state
        .wait_for(|state| !matches!(state, State::Ready { run: r } if *r == run))
        .await
        .map(|state| state.clone());
    match ended {
        Ok(State::Starting {
            previous: Some(ended),
            ..
        }) => ended,
        Ok(State::Stopped) => "the app was stopped: the runtime is shutting down".into(),
        _ => "the app was restarted".into(),
    }
}
