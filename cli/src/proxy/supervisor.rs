//! The child's life: started with Lambda's environment (the first one at
//! RuntimeStart), initialised (it asks for its first invocation, posts
//! `/init/error`, exits, or runs out of the init budget), restarted after
//! it dies or is reset, stopped at Close.
//!
//! As Lambda does after a crash or a timeout, a new child is started only
//! when the next invocation comes ("suppressed init"), and that invocation
//! waits for it to be ready.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use runtime_engine::InvocationError;
use tokio::sync::{oneshot, Mutex};

use super::queue::{InitSignal, Queue};
use super::runtime_api::RuntimeApi;
use crate::child::{Child, ChildCommand, Exit};

/// Why the child could not be made ready; its type is Lambda's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InitFailure {
    pub(crate) error_type: String,
    pub(crate) message: String,
}

impl fmt::Display for InitFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for InitFailure {}

impl From<InitFailure> for InvocationError {
    fn from(failure: InitFailure) -> Self {
        InvocationError::runtime(failure.error_type, failure.message)
    }
}

#[derive(Debug)]
struct Running {
    child: Arc<Child>,
    generation: u64,
    /// How its init ends, until `ready` has seen it end.
    init: Option<oneshot::Receiver<InitSignal>>,
}

/// Starts, watches, resets and stops the child.
#[derive(Debug)]
pub(crate) struct Supervisor {
    queue: Arc<Queue>,
    api: Arc<RuntimeApi>,
    init_timeout: Duration,
    /// The command with its Lambda environment, set at RuntimeStart when
    /// the function's facts are known.
    command: OnceLock<ChildCommand>,
    current: Mutex<Option<Running>>,
    /// Set when the running child must not serve again (it held an
    /// invocation past its deadline); the next `reset` or `ready` kills it.
    stale: AtomicBool,
}

impl Supervisor {
    pub(crate) fn new(api: Arc<RuntimeApi>, init_timeout: Duration) -> Self {
        Supervisor {
            queue: api.queue.clone(),
            api,
            init_timeout,
            command: OnceLock::new(),
            current: Mutex::new(None),
            stale: AtomicBool::new(false),
        }
    }

    /// Sets the command to run (once, at RuntimeStart).
    pub(crate) fn set_command(&self, command: ChildCommand) {
        let _ = self.command.set(command);
    }

    /// Starts the first child at once, so that its start overlaps the
    /// rest of the runtime's own start (on AWS, the extension's register
    /// call; on FC, the wait for `/initialize`). [`ready`](Self::ready)
    /// then waits for its init.
    pub(crate) fn start_early(&self) -> Result<(), InitFailure> {
        let Ok(mut current) = self.current.try_lock() else {
            // Something is starting a child already.
            return Ok(());
        };
        if current.is_none() {
            *current = Some(self.spawn()?);
        }
        Ok(())
    }

    /// Resolves when a child is running and has asked for an invocation,
    /// starting one if there is none (or it died).
    pub(crate) async fn ready(&self) -> Result<(), InitFailure> {
        let mut current = self.current.lock().await;
        if self.stale.swap(false, Ordering::AcqRel) {
            self.kill(current.take()).await;
        }
        if let Some(running) = current.as_mut() {
            match running.child.exit() {
                None if running.init.is_none() => return Ok(()),
                None => {}
                Some(exit) if running.init.is_none() => {
                    self.queue.child_gone(running.generation, exit);
                    *current = None;
                }
                // Died during init: `wait_init` says how.
                Some(_) => {}
            }
        }
        let mut starting = match current.take() {
            Some(starting) => starting,
            None => self.spawn()?,
        };
        let result = self.wait_init(&mut starting).await;
        if result.is_ok() {
            *current = Some(starting);
        }
        result
    }

    /// Starts a child with a new generation; its init is yet to end.
    fn spawn(&self) -> Result<Running, InitFailure> {
        let command = self.command()?;
        let (generation, init) = self.queue.start_generation();
        self.api.extensions.forget_registered();
        let child = command.spawn().map_err(|error| InitFailure {
            error_type: "Runtime.InvalidEntrypoint".into(),
            message: error.to_string(),
        })?;
        let child = Arc::new(child);
        let watched = child.clone();
        let queue = self.queue.clone();
        tokio::spawn(async move {
            let exit = watched.exited().await;
            queue.child_gone(generation, exit);
        });
        Ok(Running {
            child,
            generation,
            init: Some(init),
        })
    }

    fn command(&self) -> Result<&ChildCommand, InitFailure> {
        self.command.get().ok_or_else(|| InitFailure {
            error_type: "Runtime.Unavailable".into(),
            message: "the function's process cannot start before RuntimeStart".into(),
        })
    }

    /// Waits for `starting`'s init to end: its first `next`, else its
    /// `/init/error`, its exit or the init timeout, after which it is killed.
    async fn wait_init(&self, starting: &mut Running) -> Result<(), InitFailure> {
        let Some(init) = starting.init.take() else {
            return Ok(());
        };
        let command = self.command()?;
        let child = &starting.child;
        // If this wait is dropped (the invocation that started the child
        // is given up), the child must not live on unsupervised.
        let unattended = KillUnlessDisarmed(Some(child));
        let failure = tokio::select! {
            biased;
            signal = init => match signal {
                Ok(InitSignal::Ready) => {
                    unattended.disarm();
                    return Ok(());
                }
                Ok(InitSignal::Failed { error_type, message }) => InitFailure {
                    error_type,
                    message: format!("{message} (reported by `{}` on /runtime/init/error)", command.display()),
                },
                // The child died and its end cleared the handshake.
                Err(_) => exit_failure(command, child.exited().await),
            },
            exit = child.exited() => exit_failure(command, exit),
            () = tokio::time::sleep(self.init_timeout) => InitFailure {
                error_type: "Runtime.InitTimeout".into(),
                message: format!(
                    "`{}` did not ask for its first invocation (GET /2018-06-01/runtime/invocation/next) within the init timeout of {} ms; raise --init-timeout if its init is slow",
                    command.display(),
                    self.init_timeout.as_millis()
                ),
            },
        };
        let exit = child.kill().await;
        unattended.disarm();
        self.queue.child_gone(starting.generation, exit);
        Err(failure)
    }

    /// Marks the running child as done for: it is killed by the next
    /// [`reset`](Self::reset), or before the next invocation at the latest,
    /// as Lambda resets a sandbox after a timeout.
    pub(crate) fn discard(&self) {
        self.stale.store(true, Ordering::Release);
    }

    /// Kills a child marked by [`discard`](Self::discard); the next
    /// invocation starts a new one.
    pub(crate) async fn reset(&self) {
        let mut current = self.current.lock().await;
        if self.stale.swap(false, Ordering::AcqRel) {
            self.kill(current.take()).await;
        }
    }

    async fn kill(&self, running: Option<Running>) {
        if let Some(running) = running {
            let exit = running.child.kill().await;
            self.queue.child_gone(running.generation, exit);
        }
    }

    /// Stops the child at shutdown: SIGTERM, up to `grace` to exit, then
    /// SIGKILL. Returns how it ended, if there was one.
    pub(crate) async fn stop(&self, grace: Duration) -> Option<Exit> {
        let running = self.current.lock().await.take()?;
        let exit = running.child.stop(grace).await;
        self.queue.child_gone(running.generation, exit);
        Some(exit)
    }
}

/// Kills a starting child when dropped armed.
struct KillUnlessDisarmed<'a>(Option<&'a Child>);

impl KillUnlessDisarmed<'_> {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for KillUnlessDisarmed<'_> {
    fn drop(&mut self) {
        if let Some(child) = self.0 {
            child.signal(nix::sys::signal::Signal::SIGKILL);
        }
    }
}

fn exit_failure(command: &ChildCommand, exit: Exit) -> InitFailure {
    InitFailure {
        error_type: "Runtime.ExitError".into(),
        message: format!(
            "`{}` exited before asking for its first invocation: {exit}",
            command.display()
        ),
    }
}
