//! [`Emulation`]: one emulated function, its invoke endpoint and its
//! instance, as a library type: `emulate`, `watch`, `replay` and `relay`
//! all run functions through it.
//!
//! Invocations are admitted by a semaphore of `concurrency` permits (one
//! on pull platforms), so extra ones wait their turn as they would for a
//! busy instance. The instance is started by the first invocation that
//! finds none (a cold start), thawed for each invocation, frozen when none
//! is in flight, and killed after `idle_kill` or when an invocation resets
//! it. [`Emulation::pause`] takes every permit: invocations then wait, and
//! are served by whatever bootstrap runs when it ends (`watch` pauses while
//! it builds and swaps in the new build).

use std::collections::hash_map::RandomState;
use std::ffi::OsString;
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::endpoint;
use super::instance::{lock, Instance, Retire};
use super::invocation::Trigger;
use super::outcome::{InvokeOptions, Outcome, Timings};
use super::report::Report;
use super::spec::EmulationSpec;
use crate::child::ChildCommand;

/// How long [`Emulation::shutdown`] waits for invocations in flight beyond
/// the function timeout.
const SHUTDOWN_SLACK: Duration = Duration::from_secs(5);

/// A running emulation: the invoke endpoint on 127.0.0.1 and the function
/// behind it. Cheap to clone; every clone is the same emulation.
///
/// ```no_run
/// use light_runtime_cli::emulate::{EmulatedPlatform, Emulation, EmulationSpec, InvokeOptions};
///
/// # async fn example() -> Result<(), String> {
/// let mut spec = EmulationSpec::new(EmulatedPlatform::Aws, vec!["./bootstrap".into()]);
/// spec.port = 0;
/// let emulation = Emulation::start(spec).await?;
/// println!("invoke endpoint: http://{}", emulation.endpoint());
/// let outcome = emulation.invoke(r#"{"name":"Ada"}"#, InvokeOptions::default()).await;
/// println!("{} -> {}", outcome.request_id, outcome.body_text());
/// emulation.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Emulation {
    shared: Arc<Shared>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) spec: EmulationSpec,
    bootstrap: Mutex<ChildCommand>,
    permits: Arc<Semaphore>,
    slot: tokio::sync::Mutex<Slot>,
    pub(crate) report: Arc<Report>,
    endpoint: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    instances: AtomicU64,
}

#[derive(Debug, Default)]
struct Slot {
    instance: Option<Arc<Instance>>,
    in_flight: usize,
    /// Counts invocations started: an idle kill scheduled before the
    /// latest one is stale.
    generation: u64,
    shut: bool,
}

/// Invocations held back by [`Emulation::pause`] until this is dropped or
/// [`replace_bootstrap`](Paused::replace_bootstrap) is called.
#[derive(Debug)]
pub struct Paused {
    emulation: Emulation,
    _permits: OwnedSemaphorePermit,
}

impl Emulation {
    /// Serves the invoke endpoint on `127.0.0.1:spec.port` and prepares the
    /// function; its first invocation starts it (as the platform's first
    /// request does). The error says what was wrong with `spec` or the port.
    pub async fn start(spec: EmulationSpec) -> Result<Emulation, String> {
        spec.validate()?;
        let bootstrap = ChildCommand::new(&spec.command)?;
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, spec.port))
            .await
            .map_err(|error| {
                format!(
                    "cannot serve the invoke endpoint on 127.0.0.1:{}: {error} (choose another \
                     with --port)",
                    spec.port
                )
            })?;
        let endpoint = listener
            .local_addr()
            .map_err(|error| format!("cannot read the endpoint's address: {error}"))?;
        let report = Arc::new(Report::new(spec.print));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let shared = Arc::new(Shared {
            permits: Arc::new(Semaphore::new(spec.concurrency)),
            bootstrap: Mutex::new(bootstrap),
            slot: tokio::sync::Mutex::new(Slot::default()),
            report,
            endpoint,
            stop,
            instances: AtomicU64::new(0),
            spec,
        });
        let emulation = Emulation { shared };
        tokio::spawn(endpoint::serve(listener, emulation.clone(), stopped));
        let spec = &emulation.shared.spec;
        emulation.shared.report.note(&format!(
            "{} function `{}` at http://{endpoint} (POST /2015-03-31/functions/{}/invocations)",
            spec.platform, spec.function, spec.function
        ));
        Ok(emulation)
    }

    /// The invoke endpoint's address on 127.0.0.1.
    pub fn endpoint(&self) -> SocketAddr {
        self.shared.endpoint
    }

    /// What is emulated.
    pub fn spec(&self) -> &EmulationSpec {
        &self.shared.spec
    }

    /// Invokes the function with `event`, as the endpoint's `POST
    /// .../invocations` does (without the HTTP hop), and returns how it
    /// went. Waits for earlier invocations when the instance is busy.
    pub async fn invoke(&self, event: impl Into<Bytes>, options: InvokeOptions) -> Outcome {
        self.run(Trigger::Event(event.into()), options).await
    }

    /// Sends the function an HTTP request, as the endpoint's
    /// `/lambda-url/...` does: on FC an HTTP-trigger request, on SCF web and
    /// HTTP the request itself. (AWS gets a Function URL event: the endpoint
    /// turns the request into one and calls [`invoke`](Self::invoke).)
    pub async fn invoke_http(
        &self,
        request: http::Request<Bytes>,
        options: InvokeOptions,
    ) -> Outcome {
        self.run(Trigger::Http(Box::new(request)), options).await
    }

    /// Runs `command` for every invocation from now on: invocations in
    /// flight finish on the old bootstrap, which is then stopped as the
    /// platform stops an instance; waiting ones are served by the new one.
    pub async fn replace_bootstrap(&self, command: Vec<OsString>) -> Result<(), String> {
        self.pause().await?.replace_bootstrap(command).await
    }

    /// Holds back new invocations (they wait) until the returned guard is
    /// dropped; waits for those in flight to finish first.
    pub async fn pause(&self) -> Result<Paused, String> {
        let permits = self
            .shared
            .permits
            .clone()
            .acquire_many_owned(self.shared.spec.concurrency as u32)
            .await
            .map_err(|_| "the emulation has been shut down".to_owned())?;
        Ok(Paused {
            emulation: self.clone(),
            _permits: permits,
        })
    }

    /// Stops the endpoint, lets invocations in flight finish (up to the
    /// function timeout), and stops the instance as the platform does
    /// (FC's PreStop, SIGTERM with the platform's grace, SIGKILL).
    pub async fn shutdown(&self) {
        self.shared.stop.send_replace(true);
        let wait = self.shared.spec.timeout + SHUTDOWN_SLACK;
        let permits = self.shared.spec.concurrency as u32;
        let held = tokio::time::timeout(wait, self.shared.permits.acquire_many(permits)).await;
        self.shared.permits.close();
        drop(held);
        let instance = {
            let mut slot = self.shared.slot.lock().await;
            slot.shut = true;
            slot.instance.take()
        };
        if let Some(instance) = instance {
            instance.retire(Retire::Shutdown).await;
            self.shared.report.note(&format!(
                "instance {} stopped ({})",
                instance.id,
                instance.child.exited().await
            ));
        }
    }

    async fn run(&self, trigger: Trigger, options: InvokeOptions) -> Outcome {
        let asked = Instant::now();
        let shared = &self.shared;
        let request_id = options.request_id.clone().unwrap_or_else(fresh_request_id);
        if let Trigger::Event(event) = &trigger {
            let limit = shared.spec.platform.max_event_bytes();
            if event.len() > limit {
                let message = format!(
                    "the event is {} bytes, over {}'s {limit}-byte limit for a synchronous call",
                    event.len(),
                    shared.spec.platform
                );
                return self.finish(Outcome::platform_error(
                    request_id,
                    "RequestEntityTooLarge",
                    message,
                ));
            }
        }
        let Ok(_permit) = shared.permits.clone().acquire_owned().await else {
            return Outcome::platform_error(
                request_id,
                "Emulator.Stopped",
                "the emulation has been shut down".into(),
            );
        };
        let (instance, init, mut breaches) = {
            let mut slot = shared.slot.lock().await;
            if slot.shut {
                return Outcome::platform_error(
                    request_id,
                    "Emulator.Stopped",
                    "the emulation has been shut down".into(),
                );
            }
            let (instance, init) = match slot.instance.clone().filter(|i| i.is_alive()) {
                Some(instance) => (instance, None),
                None => {
                    if let Some(dead) = slot.instance.take() {
                        dead.retire(Retire::Reset).await;
                    }
                    let command = lock(&shared.bootstrap).clone();
                    let number = shared.instances.fetch_add(1, Ordering::Relaxed) + 1;
                    let id = format!("{number}-{}", &fresh_request_id()[..8]);
                    match Instance::start(&shared.spec, &command, &shared.report, id).await {
                        Ok((instance, init)) => {
                            slot.instance = Some(instance.clone());
                            (instance, Some(init))
                        }
                        Err(failure) => {
                            let mut outcome = Outcome::platform_error(
                                request_id,
                                &failure.error_type,
                                failure.message,
                            );
                            outcome.breaches = failure.breaches;
                            outcome.timings.total = asked.elapsed();
                            outcome.timings.init = Some(outcome.timings.total);
                            return self.finish(outcome);
                        }
                    }
                }
            };
            instance.thaw();
            slot.in_flight += 1;
            slot.generation += 1;
            let breaches = std::mem::take(&mut *lock(&instance.init_breaches));
            (instance, init, breaches)
        };

        instance.logs.begin(&request_id);
        let deadline = options
            .deadline_in
            .map_or(shared.spec.timeout, |left| left.min(shared.spec.timeout));
        let answer = instance
            .invoke(&request_id, trigger, &options, deadline)
            .await;

        let logs = {
            let mut slot = shared.slot.lock().await;
            slot.in_flight -= 1;
            let current = slot
                .instance
                .as_ref()
                .is_some_and(|i| Arc::ptr_eq(i, &instance));
            if answer.reset {
                instance.retire(Retire::Reset).await;
                if current {
                    slot.instance = None;
                }
                shared.report.note(&format!(
                    "instance {} reset ({})",
                    instance.id,
                    instance.child.exited().await
                ));
            } else if current && slot.in_flight == 0 {
                instance.freeze().await;
                schedule_idle_kill(shared, slot.generation);
            }
            instance.logs.drain();
            instance.logs.end(&request_id)
        };
        breaches.extend(answer.breaches);
        self.finish(Outcome {
            request_id,
            body: answer.body,
            error: answer.error,
            http: answer.http,
            logs,
            breaches,
            timings: Timings {
                init,
                invoke: answer.invoke,
                total: asked.elapsed(),
            },
        })
    }

    /// Prints `outcome` and returns it.
    fn finish(&self, outcome: Outcome) -> Outcome {
        self.shared.report.invocation(&outcome);
        outcome
    }
}

impl Paused {
    /// Swaps in `command` as the bootstrap and stops the running instance,
    /// then lets the held invocations through: they start the new one.
    pub async fn replace_bootstrap(self, command: Vec<OsString>) -> Result<(), String> {
        let command = ChildCommand::new(&command)?;
        let shared = &self.emulation.shared;
        let display = command.display();
        *lock(&shared.bootstrap) = command;
        let old = shared.slot.lock().await.instance.take();
        if let Some(old) = old {
            old.retire(Retire::Shutdown).await;
            shared.report.note(&format!(
                "instance {} stopped ({})",
                old.id,
                old.child.exited().await
            ));
        }
        shared
            .report
            .note(&format!("bootstrap replaced: `{display}`"));
        Ok(())
    }
}

/// Kills the instance after `idle_kill` unless an invocation came since.
fn schedule_idle_kill(shared: &Arc<Shared>, generation: u64) {
    let Some(idle) = shared.spec.idle_kill else {
        return;
    };
    let weak: Weak<Shared> = Arc::downgrade(shared);
    tokio::spawn(async move {
        tokio::time::sleep(idle).await;
        let Some(shared) = weak.upgrade() else { return };
        let mut slot = shared.slot.lock().await;
        if slot.generation != generation || slot.in_flight > 0 {
            return;
        }
        if let Some(instance) = slot.instance.take() {
            instance.retire(Retire::IdleKill).await;
            shared.report.note(&format!(
                "instance {} killed after {} idle ({})",
                instance.id,
                humantime::format_duration(idle),
                instance.child.exited().await
            ));
        }
    });
}

/// A fresh request id shaped like Lambda's (a UUID), from the process's
/// random hasher keys and a counter.
pub(crate) fn fresh_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = |salt: u64| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(count);
        hasher.write_u64(salt);
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish()
    };
    let (high, low) = (random(1), random(2));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xfff,
        (low >> 48) & 0x3fff | 0x8000,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::fresh_request_id;

    #[test]
    fn request_ids_are_fresh_and_shaped_like_lambdas() {
        let (a, b) = (fresh_request_id(), fresh_request_id());
        assert_ne!(a, b);
        let parts: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12], "{a}");
    }
}
