//! One measured run of one bootstrap, each on a fresh emulator: by the wall
//! clock ([`wall_clock`]) or under callgrind ([`instructions`]).
//!
//! Invocations are sequential (push one event, await its answer, repeat), as
//! Lambda drives a function: one invocation in flight per environment.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::Value;

use crate::bootstrap::{Bootstrap, Exit};
use crate::callgrind;
use crate::cpu_time::{self, TreeCpu};
use crate::sidecar::Sidecar;
use crate::stats::percentile;
use crate::telemetry::{Endpoint, Otlp, Received};

/// The deadline each event gets: long enough that no run, however slow under
/// valgrind, meets it, so no timeout path runs.
const EVENT_TIMEOUT: Duration = Duration::from_secs(600);

/// How long a bootstrap may take from spawn to its first `next`.
const INIT_TIMEOUT: Duration = Duration::from_secs(30);
/// The same under valgrind, which starts slowly.
const INIT_TIMEOUT_VALGRIND: Duration = Duration::from_secs(300);
/// How long one invocation may take before the run is abandoned.
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(10);
/// The same under valgrind.
const INVOCATION_TIMEOUT_VALGRIND: Duration = Duration::from_secs(60);
/// How long a bootstrap may take to exit after SIGTERM.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);
/// The same under valgrind, which also writes its output file then.
const EXIT_TIMEOUT_VALGRIND: Duration = Duration::from_secs(120);

/// The event every invocation gets, as the bytes sent (serialised once,
/// outside the timed loop), and the answer each must get.
#[derive(Debug, Clone)]
pub struct Payload {
    text: String,
    /// The echo functions answer the event itself; others (the HTTP
    /// comparison) something else.
    answer: Answer,
}

/// The answer an invocation must get.
#[derive(Debug, Clone)]
enum Answer {
    /// Exactly this JSON.
    Json(Value),
    /// An HTTP response event with this `statusCode` and `body`, whatever
    /// its headers: a real HTTP server adds a `date` that changes.
    Http { status: u16, body: String },
}

impl Answer {
    fn accepts(&self, got: Option<&Value>) -> bool {
        match (self, got) {
            (Answer::Json(want), Some(got)) => want == got,
            (Answer::Http { status, body }, Some(got)) => {
                got["statusCode"].as_u64() == Some(u64::from(*status))
                    && got["body"].as_str() == Some(body.as_str())
            }
            (_, None) => false,
        }
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Json(value) => write!(f, "{value}"),
            Answer::Http { status, body } => {
                write!(f, "an HTTP response {status} with the body {body:?}")
            }
        }
    }
}

impl Payload {
    /// `value` and its JSON text, answered by its echo.
    pub fn new(value: Value) -> Self {
        let text = value.to_string();
        Payload {
            text,
            answer: Answer::Json(value),
        }
    }

    /// The event `text`, sent as it is, answered by `answer` (not an echo).
    pub fn answered_by(text: impl Into<String>, answer: Value) -> Self {
        Payload {
            text: text.into(),
            answer: Answer::Json(answer),
        }
    }

    /// The HTTP event `text`, answered by a response event with `status`
    /// and `body` (its headers are not compared).
    pub fn answered_by_http(text: impl Into<String>, status: u16, body: impl Into<String>) -> Self {
        Payload {
            text: text.into(),
            answer: Answer::Http {
                status,
                body: body.into(),
            },
        }
    }

    /// The event as JSON text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// How the next event is pushed after an answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Pacing {
    /// At once: the turnaround of an invocation then includes whatever the
    /// bootstrap still did after posting the previous answer (its `Freeze`
    /// hooks, say) before it came back to `next`. The harness's default.
    #[default]
    BackToBack,
    /// Only once the bootstrap is blocked in `next` again (untimed wait):
    /// the turnaround is then the response latency alone, push to answer,
    /// as a caller sees it when the environment was idle.
    Idle,
}

/// What a run sets up beyond the platform's variables
/// ([`Bootstrap::spawn`]): the defaults are what [`wall_clock`] and
/// [`instructions`] do.
#[derive(Debug, Clone, Default)]
pub struct RunSetup {
    /// An OTLP endpoint started for the run, its URL and the full-stack
    /// variables ([`crate::telemetry::FULL_STACK_ENV`]) in the environment.
    pub otlp: Option<Otlp>,
    /// Where the bootstrap's stdout goes instead of the log (`/dev/null`).
    pub stdout: Option<PathBuf>,
    /// How invocations follow each other.
    pub pacing: Pacing,
    /// A process started just before the bootstrap and killed after it (the
    /// web app in front of which the Web Adapter sits). It runs natively,
    /// also when the bootstrap runs under callgrind.
    pub sidecar: Option<Sidecar>,
    /// Under callgrind, whether the children the bootstrap starts are
    /// counted too (`--trace-children=yes`, one out file per process):
    /// proxy mode's child. [`CallgrindRun::own_instructions`] is then the
    /// bootstrap's process alone.
    pub trace_children: bool,
}

/// What a wall-clock run measured.
#[derive(Debug, Clone)]
pub struct WallClock {
    /// Timed invocations (warm-up excluded).
    pub invocations: usize,
    /// Timed invocations per second of the timed loop.
    pub throughput: f64,
    /// Median turnaround, push to answer.
    pub p50: Duration,
    /// 99th-percentile turnaround, push to answer.
    pub p99: Duration,
    /// The longest turnaround.
    pub max: Duration,
    /// From spawn until the emulator saw the first `next` waiting.
    pub init: Duration,
    /// Peak resident set size (`VmHWM`) just before SIGTERM, in KiB.
    pub peak_rss_kib: Option<u64>,
    /// How the process ended after SIGTERM.
    pub exit: Exit,
    /// What the run's OTLP endpoint received, if it had one.
    pub received: Option<Received>,
    /// The CPU time the bootstrap and its descendants used over the timed
    /// invocations ([`crate::cpu_time`]), each read while it waited in
    /// `next`, or why it could not be read.
    pub cpu: Result<TreeCpu, String>,
}

/// Spawns `bootstrap` on a fresh emulator, times its init, runs `warmup`
/// untimed and then `invocations` timed invocations of `payload`, reads its
/// peak RSS and stops it with SIGTERM. Its output is appended to `log`.
pub async fn wall_clock(
    bootstrap: &Bootstrap,
    payload: &Payload,
    warmup: usize,
    invocations: usize,
    log: &Path,
) -> Result<WallClock, String> {
    wall_clock_with(
        bootstrap,
        payload,
        warmup,
        invocations,
        log,
        &RunSetup::default(),
    )
    .await
}

/// [`wall_clock`] with an OTLP endpoint, stdout elsewhere or another pacing.
pub async fn wall_clock_with(
    bootstrap: &Bootstrap,
    payload: &Payload,
    warmup: usize,
    invocations: usize,
    log: &Path,
    setup: &RunSetup,
) -> Result<WallClock, String> {
    let emulator = start_emulator().await?;
    let endpoint = start_endpoint(setup).await?;
    let env = endpoint.as_ref().map(Endpoint::env).unwrap_or_default();
    let started = Instant::now();
    let _sidecar = spawn_sidecar(setup, log)?;
    let mut running = bootstrap
        .spawn_with(
            &emulator.runtime_api(),
            log,
            &[],
            &env,
            setup.stdout.as_deref(),
        )
        .map_err(|error| {
            format!(
                "{}: cannot start {}: {error}",
                bootstrap.kind,
                bootstrap.path.display()
            )
        })?;
    first_next(&emulator, bootstrap, &mut running, INIT_TIMEOUT, log).await?;
    let init = started.elapsed();

    for _ in 0..warmup {
        pace(&emulator, bootstrap, setup.pacing, INVOCATION_TIMEOUT).await?;
        invoke(&emulator, bootstrap, payload, INVOCATION_TIMEOUT, log).await?;
    }
    let cpu_before = idle_cpu(&emulator, bootstrap, &running).await?;
    let mut samples = Vec::with_capacity(invocations);
    let timed = Instant::now();
    for _ in 0..invocations {
        pace(&emulator, bootstrap, setup.pacing, INVOCATION_TIMEOUT).await?;
        samples.push(invoke(&emulator, bootstrap, payload, INVOCATION_TIMEOUT, log).await?);
    }
    let elapsed = timed.elapsed();
    let cpu_after = idle_cpu(&emulator, bootstrap, &running).await?;
    let cpu = match (cpu_before, cpu_after) {
        (Ok(before), Ok(after)) => Ok(after.since(&before)),
        (Err(error), _) | (_, Err(error)) => Err(error),
    };

    let peak_rss_kib = running.peak_rss_kib();
    let exit = running.terminate(EXIT_TIMEOUT).await?;
    let received = match &endpoint {
        Some(endpoint) => Some(endpoint.summary(warmup + invocations, SETTLE).await),
        None => None,
    };
    emulator.stop();
    Ok(WallClock {
        invocations,
        throughput: invocations as f64 / elapsed.as_secs_f64(),
        p50: percentile(&mut samples, 50.0).unwrap_or_default(),
        p99: percentile(&mut samples, 99.0).unwrap_or_default(),
        max: samples.iter().copied().max().unwrap_or_default(),
        init,
        peak_rss_kib,
        exit,
        received,
        cpu,
    })
}

/// Waits until the bootstrap is blocked in `next` and reads the CPU time of
/// its process tree: the outer result fails the run (it never came back to
/// `next`), the inner one only the CPU figure.
async fn idle_cpu(
    emulator: &LambdaEmulator,
    bootstrap: &Bootstrap,
    running: &crate::Running,
) -> Result<Result<TreeCpu, String>, String> {
    pace(emulator, bootstrap, Pacing::Idle, INVOCATION_TIMEOUT).await?;
    Ok(match running.pid() {
        Some(pid) => cpu_time::read(pid),
        None => Err(format!("{}: it has no process id", bootstrap.kind)),
    })
}

/// Starts the run's sidecar, if it has one.
fn spawn_sidecar(setup: &RunSetup, log: &Path) -> Result<Option<tokio::process::Child>, String> {
    setup
        .sidecar
        .as_ref()
        .map(|sidecar| sidecar.spawn(log))
        .transpose()
}

/// How long the live receiver may take to decode the last export after the
/// bootstrap exited.
const SETTLE: Duration = Duration::from_secs(5);

async fn start_endpoint(setup: &RunSetup) -> Result<Option<Endpoint>, String> {
    match setup.otlp {
        Some(kind) => Endpoint::start(kind).await.map(Some),
        None => Ok(None),
    }
}

/// Waits up to `timeout` for the bootstrap's first `next`, or fails as
/// soon as it exits before one.
async fn first_next(
    emulator: &LambdaEmulator,
    bootstrap: &Bootstrap,
    running: &mut crate::Running,
    timeout: Duration,
    log: &Path,
) -> Result<(), String> {
    tokio::select! {
        waiting = emulator.wait_next_waiting(1, timeout) => {
            if waiting {
                Ok(())
            } else {
                Err(format!(
                    "{}: no `next` within {} s of spawn; see {}",
                    bootstrap.kind,
                    timeout.as_secs(),
                    log.display()
                ))
            }
        }
        exited = running.exited() => Err(format!(
            "{}: exited before its first `next` ({}); see {}",
            bootstrap.kind,
            match exited {
                Ok(status) => status.to_string(),
                Err(error) => format!("waiting for it failed: {error}"),
            },
            log.display()
        )),
    }
}

/// With [`Pacing::Idle`], waits until the bootstrap is blocked in `next`.
async fn pace(
    emulator: &LambdaEmulator,
    bootstrap: &Bootstrap,
    pacing: Pacing,
    timeout: Duration,
) -> Result<(), String> {
    if pacing == Pacing::Idle && !emulator.wait_next_waiting(1, timeout).await {
        return Err(format!(
            "{}: not back in `next` within {} s of its last answer",
            bootstrap.kind,
            timeout.as_secs()
        ));
    }
    Ok(())
}

/// What a run under callgrind measured.
#[derive(Debug, Clone)]
pub struct CallgrindRun {
    /// Invocations served in the run.
    pub invocations: usize,
    /// Instructions executed by the bootstrap over its whole life: init,
    /// the invocations, and the exit after SIGTERM; with
    /// [`RunSetup::trace_children`], those of its children too.
    pub instructions: u64,
    /// Those of the bootstrap's own process alone (the same as
    /// `instructions` unless children are traced).
    pub own_instructions: u64,
    /// How the process ended after SIGTERM.
    pub exit: Exit,
    /// The callgrind out file, for `callgrind_annotate`.
    pub out_file: PathBuf,
    /// What the run's OTLP endpoint received, if it had one.
    pub received: Option<Received>,
}

/// Runs `bootstrap` under `valgrind --tool=callgrind` on a fresh emulator for
/// `invocations` invocations of `payload`, stops it with SIGTERM and reads
/// the instruction total from `out_file`.
///
/// Valgrind writes the out file when the program exits, also when it dies
/// of the signal's default action.
pub async fn instructions(
    bootstrap: &Bootstrap,
    payload: &Payload,
    invocations: usize,
    out_file: &Path,
    log: &Path,
) -> Result<CallgrindRun, String> {
    instructions_with(
        bootstrap,
        payload,
        invocations,
        out_file,
        log,
        &RunSetup::default(),
    )
    .await
}

/// Instructions per invocation of `payload` on `bootstrap`, for each span
/// of `lengths` (`[50, 250]` gives one figure, `(I(250) − I(50)) / 200`):
/// start-up and exit cancel out. Each length runs under callgrind on a
/// fresh emulator, its out file and log in `work_dir`; `program` names the
/// caller in the progress lines.
pub fn per_invocation(
    program: &str,
    bootstrap: &Bootstrap,
    payload: &Payload,
    lengths: &[usize],
    work_dir: &Path,
) -> Result<Vec<f64>, String> {
    let costs = per_invocation_with(
        program,
        bootstrap,
        payload,
        lengths,
        work_dir,
        &RunSetup::default(),
    )?;
    Ok(costs.iter().map(|cost| cost.total).collect())
}

/// Instructions per invocation over one span of run lengths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// The bootstrap and, with [`RunSetup::trace_children`], its children.
    pub total: f64,
    /// The bootstrap's own process.
    pub own: f64,
}

/// [`per_invocation`] with a sidecar or the children counted
/// ([`RunSetup`]).
pub fn per_invocation_with(
    program: &str,
    bootstrap: &Bootstrap,
    payload: &Payload,
    lengths: &[usize],
    work_dir: &Path,
    setup: &RunSetup,
) -> Result<Vec<Cost>, String> {
    let stem = bootstrap.kind.name().replace(' ', "-");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a tokio runtime: {error}"))?;
    let mut totals = Vec::with_capacity(lengths.len());
    for &invocations in lengths {
        eprintln!(
            "{program}: callgrind, {}: {invocations} invocations",
            bootstrap.kind
        );
        let run = runtime.block_on(instructions_with(
            bootstrap,
            payload,
            invocations,
            &work_dir.join(format!("callgrind.{stem}.{invocations}.out")),
            &work_dir.join(format!("{stem}.log")),
            setup,
        ))?;
        totals.push((run.instructions as f64, run.own_instructions as f64));
    }
    Ok(lengths
        .windows(2)
        .zip(totals.windows(2))
        .map(|(n, i)| {
            let span = (n[1] - n[0]) as f64;
            Cost {
                total: (i[1].0 - i[0].0) / span,
                own: (i[1].1 - i[0].1) / span,
            }
        })
        .collect())
}

/// [`instructions`] with an OTLP endpoint or stdout elsewhere (the pacing
/// does not matter: each invocation is awaited and the count is the same).
pub async fn instructions_with(
    bootstrap: &Bootstrap,
    payload: &Payload,
    invocations: usize,
    out_file: &Path,
    log: &Path,
    setup: &RunSetup,
) -> Result<CallgrindRun, String> {
    let _ = std::fs::remove_file(out_file);
    callgrind::remove_per_process(out_file)?;
    let emulator = start_emulator().await?;
    let endpoint = start_endpoint(setup).await?;
    let env = endpoint.as_ref().map(Endpoint::env).unwrap_or_default();
    let mut wrapper = vec!["valgrind".to_owned(), "--tool=callgrind".to_owned()];
    if setup.trace_children {
        // `%p`: each process its own file, named by its pid.
        wrapper.push("--trace-children=yes".to_owned());
        wrapper.push(format!("--callgrind-out-file={}.%p", out_file.display()));
    } else {
        wrapper.push(format!("--callgrind-out-file={}", out_file.display()));
    }
    let _sidecar = spawn_sidecar(setup, log)?;
    let mut running = bootstrap
        .spawn_with(
            &emulator.runtime_api(),
            log,
            &wrapper,
            &env,
            setup.stdout.as_deref(),
        )
        .map_err(|error| format!("{}: cannot start valgrind: {error}", bootstrap.kind))?;
    first_next(
        &emulator,
        bootstrap,
        &mut running,
        INIT_TIMEOUT_VALGRIND,
        log,
    )
    .await?;
    for _ in 0..invocations {
        invoke(
            &emulator,
            bootstrap,
            payload,
            INVOCATION_TIMEOUT_VALGRIND,
            log,
        )
        .await?;
    }
    // Wait until it is idle in `next` again, so that every run ends in the
    // same state and only the invocation count differs.
    if !emulator
        .wait_next_waiting(1, INVOCATION_TIMEOUT_VALGRIND)
        .await
    {
        return Err(format!(
            "{}: did not come back to `next` after the last invocation",
            bootstrap.kind
        ));
    }
    // Valgrind runs the tool in the process it was started as, so this is
    // the bootstrap's own pid, the one its out file is named by.
    let root = running.pid();
    let exit = running.terminate(EXIT_TIMEOUT_VALGRIND).await?;
    let received = match &endpoint {
        Some(endpoint) => Some(endpoint.summary(invocations, SETTLE).await),
        None => None,
    };
    emulator.stop();
    let counted = match (setup.trace_children, root) {
        (true, Some(root)) => callgrind::per_process_instructions(out_file, root),
        (true, None) => Err("valgrind had no process id".to_owned()),
        (false, _) => callgrind::total_instructions(out_file).map(|total| (total, total)),
    };
    let (instructions, own_instructions) = counted.map_err(|error| {
        format!(
            "{}: {error} (exit after SIGTERM: {exit:?}); see {}",
            bootstrap.kind,
            log.display()
        )
    })?;
    Ok(CallgrindRun {
        invocations,
        instructions,
        own_instructions,
        exit,
        out_file: out_file.to_owned(),
        received,
    })
}

async fn start_emulator() -> Result<LambdaEmulator, String> {
    LambdaEmulator::builder()
        .timeout(EVENT_TIMEOUT)
        .start()
        .await
        .map_err(|error| format!("cannot start the Lambda emulator: {error}"))
}

/// Pushes one event, waits for its answer and checks it is `payload`'s;
/// returns the turnaround.
async fn invoke(
    emulator: &LambdaEmulator,
    bootstrap: &Bootstrap,
    payload: &Payload,
    timeout: Duration,
    log: &Path,
) -> Result<Duration, String> {
    let started = Instant::now();
    let request_id = emulator.push(Event::raw(payload.text.clone()));
    let result = emulator.result(&request_id, timeout).await;
    let turnaround = started.elapsed();
    match result {
        Some(result) if payload.answer.accepts(result.body_json().as_ref()) => Ok(turnaround),
        Some(result) => Err(format!(
            "{}: invocation {request_id} of {} answered {result:?}, not {}",
            bootstrap.kind, payload.text, payload.answer
        )),
        None => Err(format!(
            "{}: no answer to invocation {request_id} within {} s; see {}",
            bootstrap.kind,
            timeout.as_secs(),
            log.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::Payload;
    use serde_json::json;

    #[test]
    fn an_http_answer_is_checked_by_status_and_body_whatever_its_headers() {
        let payload = Payload::answered_by_http("{}", 200, "hello, ada");
        let answer = json!({
            "statusCode": 200,
            "headers": {"date": "Fri, 04 Dec 2026 10:00:00 GMT"},
            "body": "hello, ada"
        });
        assert!(payload.answer.accepts(Some(&answer)));
        let other_body = json!({"statusCode": 200, "body": "hello, bob"});
        assert!(!payload.answer.accepts(Some(&other_body)));
        let other_status = json!({"statusCode": 502, "body": "hello, ada"});
        assert!(!payload.answer.accepts(Some(&other_status)));
        assert!(!payload.answer.accepts(None));
    }

    #[test]
    fn an_echo_answer_is_the_event_exactly() {
        let payload = Payload::new(json!({"n": 1}));
        assert!(payload.answer.accepts(Some(&json!({"n": 1}))));
        assert!(!payload.answer.accepts(Some(&json!({"n": 2}))));
    }
}
