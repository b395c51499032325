//! One instance of the function: the bootstrap's process, the emulator it
//! talks to, its captured output, and its lifecycle: started and made
//! ready within the init budget, thawed (SIGCONT) for an invocation,
//! frozen (SIGSTOP) when idle, stopped as the platform stops it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use light_runtime_emulators::aliyun_fc::FcEmulator;
use light_runtime_emulators::caller::{free_port, Caller};
use light_runtime_emulators::tencent_scf::ScfEmulator;
use light_runtime_emulators::LambdaEmulator;
use nix::sys::signal::Signal;

use super::breach::{self, Breach, BreachKind};
use super::logs::Logs;
use super::platform_env::{self, Wiring};
use super::report::Report;
use super::spec::{EmulatedPlatform, EmulationSpec};
use crate::child::{Child, ChildCommand, Exit};

/// How long a pull bootstrap has, after answering, to ask for the next
/// event before it is frozen anyway (and a breach is reported).
pub(crate) const NEXT_WAIT: Duration = Duration::from_secs(2);

/// How long a freeze waits to see the process stopped in `/proc`.
const FREEZE_WAIT: Duration = Duration::from_secs(1);

/// Lambda's shutdown phase with external extensions; the runtime gets
/// SIGTERM only when an extension is registered (reference 1.9).
const AWS_SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// FC's PreStop budget and grace after it, SCF's shutdown grace: all
/// unconfirmed (reference 2.9, 3.6); 3 s assumed.
const FC_PRE_STOP_WAIT: Duration = Duration::from_secs(3);
const UNCONFIRMED_GRACE: Duration = Duration::from_secs(3);

/// Cloud Run and Knative: SIGTERM, then SIGKILL after 10 s.
const HTTP_GRACE: Duration = Duration::from_secs(10);

/// The platform side of one instance.
#[derive(Debug)]
pub(crate) enum Wire {
    /// The Lambda Runtime API the bootstrap pulls from.
    Aws(LambdaEmulator),
    /// The SCF runtime API the bootstrap pulls from.
    Scf(ScfEmulator),
    /// FC calling the bootstrap's server.
    Fc(FcEmulator),
    /// SCF web or a plain-HTTP platform calling the bootstrap's server.
    Http(Caller),
}

/// Why an instance is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retire {
    /// After a timeout or a crash: killed at once, as the platform resets
    /// the sandbox.
    Reset,
    /// Idle past `--idle-kill`: SIGKILL (after FC's PreStop).
    IdleKill,
    /// A new bootstrap replaces it, or the emulation ends: the platform's
    /// shutdown (PreStop, SIGTERM with its grace, SIGKILL).
    Shutdown,
}

/// Why an instance could not be made ready.
#[derive(Debug)]
pub(crate) struct InitFailure {
    /// `errorType` of the invocation that started it.
    pub(crate) error_type: String,
    /// `errorMessage`.
    pub(crate) message: String,
    /// The contract broken during init.
    pub(crate) breaches: Vec<Breach>,
}

impl InitFailure {
    fn new(error_type: &str, message: String) -> Self {
        InitFailure {
            error_type: error_type.to_owned(),
            message,
            breaches: Vec::new(),
        }
    }
}

/// A running instance.
#[derive(Debug)]
pub(crate) struct Instance {
    /// An id for messages (and FC's `FC_INSTANCE_ID`).
    pub(crate) id: String,
    pub(crate) child: Child,
    pub(crate) wire: Wire,
    pub(crate) logs: Logs,
    pub(crate) platform: EmulatedPlatform,
    /// How many recorded runtime API calls were looked at for breaches.
    pub(crate) scanned: Mutex<usize>,
    /// Breaches from init, reported with the first invocation.
    pub(crate) init_breaches: Mutex<Vec<Breach>>,
    frozen: AtomicBool,
}

impl Instance {
    /// Starts `command` as `spec`'s platform starts it and waits until it
    /// is ready; returns it with its init time.
    pub(crate) async fn start(
        spec: &EmulationSpec,
        command: &ChildCommand,
        report: &Arc<Report>,
        id: String,
    ) -> Result<(Arc<Instance>, Duration), InitFailure> {
        let io = |error: std::io::Error| {
            InitFailure::new(
                "Runtime.Unknown",
                format!("cannot start the emulated platform: {error}"),
            )
        };
        let function_port = || spec.function_port.map_or_else(free_port, Ok);
        let (wire, wiring) = match spec.platform {
            EmulatedPlatform::Aws => {
                let emulator = LambdaEmulator::builder()
                    .function_arn(platform_env::function_arn(spec))
                    .timeout(spec.timeout)
                    .start()
                    .await
                    .map_err(io)?;
                let api = emulator.runtime_api();
                (Wire::Aws(emulator), Wiring::RuntimeApi(api))
            }
            EmulatedPlatform::Scf => {
                let emulator = ScfEmulator::with_limits(spec.memory_mb, spec.timeout)
                    .await
                    .map_err(io)?;
                let env = emulator.env();
                let find = |key: &str| {
                    env.iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                };
                let port = find("SCF_RUNTIME_API_PORT").parse().unwrap_or_default();
                let wiring = Wiring::ScfApi(find("SCF_RUNTIME_API"), port);
                (Wire::Scf(emulator), wiring)
            }
            EmulatedPlatform::Fc => {
                let timeout_secs = spec.timeout.as_secs_f64().ceil() as u64;
                let emulator = FcEmulator::builder()
                    .function_name(&spec.function)
                    .memory_mb(spec.memory_mb)
                    .timeout_secs(timeout_secs.max(1))
                    .port(function_port().map_err(io)?)
                    .start()
                    .map_err(io)?;
                let port = emulator.port();
                (Wire::Fc(emulator), Wiring::Port(port))
            }
            EmulatedPlatform::ScfWeb | EmulatedPlatform::Http => {
                let port = function_port().map_err(io)?;
                (Wire::Http(Caller::new(port)), Wiring::Port(port))
            }
        };
        let (logs, stdout, stderr) = Logs::capture(report.clone()).map_err(io)?;
        let command = platform_env::apply(command.clone(), spec, &wiring, &id);
        let started = Instant::now();
        let child = command
            .spawn_with_output(stdout, stderr)
            .map_err(|error| InitFailure::new("Runtime.InvalidEntrypoint", error.to_string()))?;
        report.note(&format!(
            "instance {id} started: pid {}, `{}`",
            child.id(),
            command.display()
        ));
        let instance = Instance {
            id,
            child,
            wire,
            logs,
            platform: spec.platform,
            scanned: Mutex::new(0),
            init_breaches: Mutex::new(Vec::new()),
            frozen: AtomicBool::new(false),
        };
        match instance.become_ready(spec).await {
            Ok(breaches) => {
                let init = started.elapsed();
                instance.logs.ready();
                *lock(&instance.init_breaches) = breaches;
                Ok((Arc::new(instance), init))
            }
            Err(failure) => {
                instance.child.kill().await;
                instance.logs.drain();
                report.note(&format!(
                    "instance {} failed to start: {}",
                    instance.id, failure.message
                ));
                Err(failure)
            }
        }
    }

    /// Waits, within the init budget, for the platform's sign of
    /// readiness; returns the init's breaches.
    async fn become_ready(&self, spec: &EmulationSpec) -> Result<Vec<Breach>, InitFailure> {
        let budget = spec.init_timeout;
        let seconds = budget.as_secs_f64();
        let ready = async {
            match &self.wire {
                Wire::Aws(emulator) => {
                    tokio::select! {
                        ready = emulator.wait_next_waiting(1, budget) => Ok(ready),
                        Some(call) = emulator.wait_init_error(budget) => {
                            let body = call.body_json().unwrap_or_default();
                            let error_type = body["errorType"].as_str()
                                .or(call.header("lambda-runtime-function-error-type"))
                                .unwrap_or("Runtime.InitError").to_owned();
                            let message = body["errorMessage"].as_str()
                                .unwrap_or("the runtime posted /runtime/init/error").to_owned();
                            Err(InitFailure::new(&error_type, message))
                        }
                    }
                }
                Wire::Scf(emulator) => Ok(emulator.wait_next_waiting(budget).await),
                Wire::Fc(emulator) => Ok(emulator.wait_ready(budget).await),
                Wire::Http(caller) => Ok(caller.wait_ready(budget).await),
            }
        };
        let ready = tokio::select! {
            ready = ready => ready?,
            exit = self.child.exited() => return Err(self.exited_in_init(exit)),
        };
        if !ready {
            return Err(self.init_timed_out(seconds));
        }
        let mut breaches = Vec::new();
        match &self.wire {
            Wire::Scf(emulator) if !emulator.is_ready() => breaches.push(Breach::new(
                BreachKind::NoInitReady,
                "asked for the next event without POST /runtime/init/ready first: SCF ends \
                 init only at init/ready and times it out (InitTimeout) without it",
            )),
            Wire::Fc(emulator) => {
                // FC calls the Initializer once, before the first invocation.
                let initialized = tokio::select! {
                    reply = emulator.initialize() => reply,
                    exit = self.child.exited() => return Err(self.exited_in_init(exit)),
                };
                if let Ok(reply) = initialized {
                    if reply.status >= 500 {
                        breaches.push(Breach::new(
                            BreachKind::InitializerFailed,
                            format!(
                                "POST /initialize answered {}: FC restarts the instance",
                                reply.status
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
        if let Wire::Aws(emulator) = &self.wire {
            let calls = emulator.calls();
            *lock(&self.scanned) = calls.len();
            breaches.extend(breach::in_lambda_calls(&calls, ""));
        }
        if let Wire::Scf(emulator) = &self.wire {
            let calls = emulator.calls();
            *lock(&self.scanned) = calls.len();
            breaches.extend(breach::in_scf_calls(&calls, "", 0));
        }
        Ok(breaches)
    }

    fn exited_in_init(&self, exit: Exit) -> InitFailure {
        let mut failure = InitFailure::new(
            "Runtime.ExitError",
            format!("the bootstrap exited during init ({exit})"),
        );
        if let Wire::Aws(emulator) = &self.wire {
            if let Some(call) = emulator.init_error() {
                // It reported its failure as Lambda asks: not a breach.
                let body = call.body_json().unwrap_or_default();
                if let Some(error_type) = body["errorType"].as_str() {
                    failure.error_type = error_type.to_owned();
                }
                if let Some(message) = body["errorMessage"].as_str() {
                    failure.message = format!("{message} (then exited: {exit})");
                }
                return failure;
            }
        }
        failure.breaches.push(Breach::new(
            BreachKind::ExitDuringInit,
            match self.platform {
                EmulatedPlatform::Aws => {
                    format!("exited during init ({exit}) without posting /runtime/init/error")
                }
                _ => format!("exited during init ({exit})"),
            },
        ));
        failure
    }

    fn init_timed_out(&self, seconds: f64) -> InitFailure {
        let (error_type, breach) = match &self.wire {
            Wire::Aws(_) => (
                "Sandbox.Timedout",
                Breach::new(
                    BreachKind::InitTimedOut,
                    format!(
                        "did not ask for an event (GET next) within the {seconds} s init budget"
                    ),
                ),
            ),
            Wire::Scf(_) => (
                "Sandbox.Timedout",
                Breach::new(
                    BreachKind::InitTimedOut,
                    format!(
                        "did not post init/ready and ask for an event within the {seconds} s \
                         InitTimeout"
                    ),
                ),
            ),
            Wire::Fc(emulator) => (
                "FunctionNotStarted",
                Breach::new(
                    BreachKind::PortNotOpened,
                    format!(
                        "did not listen on port {} within {seconds} s (FC: \"the HTTP server \
                         fails to start\", FunctionNotStarted)",
                        emulator.port()
                    ),
                ),
            ),
            Wire::Http(caller) => (
                "Sandbox.Timedout",
                Breach::new(
                    BreachKind::PortNotOpened,
                    format!(
                        "did not listen on port {} within {seconds} s",
                        caller.addr().port()
                    ),
                ),
            ),
        };
        let mut failure = InitFailure::new(error_type, breach.message.clone());
        failure.breaches.push(breach);
        failure
    }

    /// Whether the process still runs.
    pub(crate) fn is_alive(&self) -> bool {
        self.child.exit().is_none()
    }

    /// Stops the process (SIGSTOP to its group) and waits, briefly, to see
    /// it stopped, as a platform freezes an idle sandbox.
    pub(crate) async fn freeze(&self) {
        if !self.is_alive() || self.frozen.swap(true, Ordering::SeqCst) {
            return;
        }
        self.child.signal(Signal::SIGSTOP);
        let stat = format!("/proc/{}/stat", self.child.id());
        let deadline = Instant::now() + FREEZE_WAIT;
        while Instant::now() < deadline {
            if process_state(&stat).is_none_or(|state| state == 'T') {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Resumes the process (SIGCONT) if it was frozen.
    pub(crate) fn thaw(&self) {
        if self.frozen.swap(false, Ordering::SeqCst) {
            self.child.signal(Signal::SIGCONT);
        }
    }

    /// Stops the instance for `why`, as the platform does.
    pub(crate) async fn retire(&self, why: Retire) {
        match why {
            Retire::Reset => {
                self.child.kill().await;
            }
            Retire::IdleKill => {
                if let Wire::Fc(emulator) = &self.wire {
                    self.thaw();
                    let _ = tokio::time::timeout(FC_PRE_STOP_WAIT, emulator.pre_stop()).await;
                }
                self.child.kill().await;
            }
            Retire::Shutdown => {
                self.thaw();
                let grace = match &self.wire {
                    Wire::Aws(emulator) => {
                        emulator.shutdown("spindown");
                        if emulator.extensions().is_empty() {
                            Duration::ZERO
                        } else {
                            AWS_SHUTDOWN_GRACE
                        }
                    }
                    Wire::Fc(emulator) => {
                        let _ = tokio::time::timeout(FC_PRE_STOP_WAIT, emulator.pre_stop()).await;
                        UNCONFIRMED_GRACE
                    }
                    Wire::Scf(_) => UNCONFIRMED_GRACE,
                    Wire::Http(_) => HTTP_GRACE,
                };
                if grace.is_zero() {
                    self.child.kill().await;
                } else {
                    self.child.stop(grace).await;
                }
            }
        }
        self.logs.drain();
    }
}

/// The state letter in `/proc/PID/stat` (`R`, `S`, `T`, ...); `None` once
/// the process is gone.
pub(crate) fn process_state(stat_path: &str) -> Option<char> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    // The command name is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')')?.1;
    after.trim_start().chars().next()
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
