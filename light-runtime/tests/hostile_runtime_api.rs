//! The pull adapters (AWS Lambda, Tencent SCF events) against a Runtime API
//! that misbehaves on script (`light_runtime_testkit::hostile_api`),
//! asserting what the platform received: exactly one answer per invocation,
//! no post sent twice, no hang shutdown cannot end, no invocation lost
//! without a word, no request line built from unchecked ids.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Phase, Runtime, RuntimeError};
use light_runtime_testkit::hostile_api::{HostileRuntimeApi, Received, Reply};
use light_runtime_testkit::recording::RecordingHook;
use serde_json::Value;
use tokio::task::JoinHandle;

/// Longest any test waits for anything.
const WAIT: Duration = Duration::from_secs(10);
/// What a stalled call may add to shutdown: the post grace after shutdown
/// plus Close and End, with room for a loaded machine.
const SHUTDOWN_WITHIN: Duration = Duration::from_secs(2);

struct Running {
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RuntimeError>>,
    hook: RecordingHook,
    handled: Arc<AtomicUsize>,
}

fn lambda_env(api: &HostileRuntimeApi, extra: &[(&str, &str)]) -> Environment {
    let mut vars = vec![("AWS_LAMBDA_RUNTIME_API".to_owned(), api.runtime_api())];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Environment::from_vars(vars)
}

fn scf_env(api: &HostileRuntimeApi) -> Environment {
    Environment::from_vars([
        ("SCF_RUNTIME_API".to_owned(), "127.0.0.1".to_owned()),
        (
            "SCF_RUNTIME_API_PORT".to_owned(),
            api.addr().port().to_string(),
        ),
        ("TENCENTCLOUD_RUNENV".to_owned(), "SCF".to_owned()),
    ])
}

/// Starts an echo runtime that counts the events it handled.
fn start(env: Environment) -> Running {
    let shutdown = CancellationToken::new();
    let hook = RecordingHook::new("recorder");
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = handled.clone();
    let runtime = Runtime::builder()
        .with_environment(env)
        .hook(hook.clone())
        .run_until(
            move |event: Value, _: Context| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move { Ok::<_, Error>(event) }
            },
            shutdown.clone(),
        );
    Running {
        shutdown,
        task: tokio::spawn(runtime),
        hook,
        handled,
    }
}

/// Waits for the runtime to end on its own.
async fn ended(task: JoinHandle<Result<(), RuntimeError>>) -> Result<(), RuntimeError> {
    tokio::time::timeout(WAIT, task)
        .await
        .expect("the runtime ends in bounded time")
        .expect("the runtime task does not panic")
}

/// Cancels shutdown; returns the runtime's result and how long it took.
async fn shut_down(running: &mut Running) -> (Result<(), RuntimeError>, Duration) {
    let asked = Instant::now();
    running.shutdown.cancel();
    let result = tokio::time::timeout(WAIT, &mut running.task)
        .await
        .expect("the runtime stops after shutdown, however the API stalls")
        .expect("the runtime task does not panic");
    (result, asked.elapsed())
}

fn posts_to(api: &HostileRuntimeApi, suffix: &str) -> Vec<Received> {
    api.posts()
        .into_iter()
        .filter(|post| post.path.ends_with(suffix))
        .collect()
}

fn close_and_end_ran(hook: &RecordingHook) {
    let phases = hook.phases();
    assert!(phases.len() >= 2, "{phases:?}");
    assert_eq!(
        &phases[phases.len() - 2..],
        &[Phase::Close, Phase::End],
        "Close then End last: {phases:?}"
    );
}

// Part 1: answers posted more than once.

#[tokio::test]
async fn a_500_to_a_response_post_is_posted_once_and_the_runtime_exits_naming_the_api() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_next(Reply::event("req-500", r#"{"n":1}"#));
    api.on_post(Reply::Status(500));
    let running = start(lambda_env(&api, &[]));

    let error = ended(running.task).await.unwrap_err();
    let message = error.to_string();
    assert!(error.is_platform(), "{message}");
    assert!(message.contains("AWS_LAMBDA_RUNTIME_API="), "{message}");
    assert!(message.contains("500"), "{message}");
    assert_eq!(
        posts_to(&api, "/req-500/response").len(),
        1,
        "posted exactly once: {:?}",
        api.posts()
    );
}

#[tokio::test]
async fn a_post_whose_connection_closes_after_it_was_read_is_not_posted_again() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_next(Reply::event("req-closed", r#"{"n":1}"#));
    api.on_post(Reply::CloseAfterRead);
    api.on_next(Reply::event("req-after", r#"{"n":2}"#));
    let mut running = start(lambda_env(&api, &[]));

    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .any(|r| r.path.ends_with("/req-after/response")))
            .await,
        "the loop goes on: {:?}",
        api.received()
    );
    assert_eq!(posts_to(&api, "/req-closed/response").len(), 1);
    assert_eq!(posts_to(&api, "/req-after/response").len(), 1);
    let (result, _) = shut_down(&mut running).await;
    result.unwrap();
}

#[tokio::test]
async fn a_keep_alive_connection_the_api_closed_is_replaced_before_the_post() {
    let api = HostileRuntimeApi::start().await.unwrap();
    // The event arrives whole, then the API closes that connection.
    api.on_next(Reply::event_then_close("req-stale", r#"{"n":1}"#));
    let mut running = start(lambda_env(&api, &[]));

    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .any(|r| r.path.ends_with("/req-stale/response")))
            .await,
        "{:?}",
        api.received()
    );
    assert_eq!(posts_to(&api, "/req-stale/response").len(), 1);
    let (result, _) = shut_down(&mut running).await;
    result.unwrap();
}

// Part 2: hangs.

#[tokio::test]
async fn shutdown_during_a_stalled_response_post_runs_close_and_end_in_time() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_next(Reply::event("req-stall", r#"{"n":1}"#));
    api.on_post(Reply::Stall);
    let mut running = start(lambda_env(&api, &[]));
    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .any(|r| r.path.ends_with("/response")))
            .await
    );

    let (result, took) = shut_down(&mut running).await;
    eprintln!("time from shutdown to exit under a stalled response post (Lambda): {took:?}");
    assert!(took < SHUTDOWN_WITHIN, "took {took:?}");
    result.unwrap();
    close_and_end_ran(&running.hook);
    assert_eq!(posts_to(&api, "/req-stall/response").len(), 1);
}

#[tokio::test]
async fn shutdown_during_a_stalled_extension_registration_runs_close_and_end_in_time() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_register(Reply::Stall);
    let mut running = start(lambda_env(&api, &[]));
    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .any(|r| r.path.ends_with("/extension/register")))
            .await
    );

    let (result, took) = shut_down(&mut running).await;
    eprintln!("time from shutdown to exit under a stalled registration (Lambda): {took:?}");
    assert!(took < SHUTDOWN_WITHIN, "took {took:?}");
    result.unwrap();
    close_and_end_ran(&running.hook);
}

#[tokio::test]
async fn a_stalled_post_is_given_up_after_the_call_time_limit_and_not_posted_again() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_next(Reply::event("req-slow", r#"{"n":1}"#));
    api.on_post(Reply::Stall);
    let env = lambda_env(&api, &[("LIGHT_RUNTIME_PLATFORM_CALL_TIMEOUT_MS", "300")]);
    let running = start(env);

    let started = Instant::now();
    let error = ended(running.task).await.unwrap_err();
    let message = error.to_string();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(message.contains("AWS_LAMBDA_RUNTIME_API="), "{message}");
    assert!(message.contains("did not answer within"), "{message}");
    assert_eq!(posts_to(&api, "/req-slow/response").len(), 1);
}

#[tokio::test]
async fn a_stalled_registration_is_given_up_after_the_call_time_limit_and_events_are_served() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_register(Reply::Stall);
    api.on_next(Reply::event("req-after-stall", r#"{"n":1}"#));
    let env = lambda_env(&api, &[("LIGHT_RUNTIME_PLATFORM_CALL_TIMEOUT_MS", "300")]);
    let mut running = start(env);

    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .any(|r| r.path.ends_with("/req-after-stall/response")))
            .await,
        "{:?}",
        api.received()
    );
    let (result, _) = shut_down(&mut running).await;
    result.unwrap();
}

/// The figure the issue asks for, on a real process: the echo example as a
/// Lambda `bootstrap`, its response post stalled, then SIGTERM.
#[tokio::test]
async fn sigterm_to_the_echo_example_under_a_stalled_post_ends_it_in_time() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_next(Reply::event("req-sigterm", r#"{"n":1}"#));
    api.on_post(Reply::Stall);
    let binary = tokio::task::spawn_blocking(support::echo_example)
        .await
        .unwrap();
    let mut child = std::process::Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.runtime_api())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let posted = api
        .wait_until(WAIT, |got| {
            got.iter().any(|r| r.path.ends_with("/response"))
        })
        .await;
    if !posted {
        let _ = child.kill();
        panic!("the echo example never posted: {:?}", api.received());
    }

    let signalled = Instant::now();
    // SAFETY: kill(2) on our own child's pid with a valid signal number
    // touches no memory.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > WAIT {
            let _ = child.kill();
            panic!("the echo example did not exit within {WAIT:?} of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let took = signalled.elapsed();
    eprintln!("time from SIGTERM to exit under a stalled response post (echo, Lambda): {took:?}");
    assert!(status.success(), "{status:?}");
    assert!(took < SHUTDOWN_WITHIN, "took {took:?}");
    assert_eq!(posts_to(&api, "/req-sigterm/response").len(), 1);
}

#[tokio::test]
async fn a_stalled_init_error_post_gives_way_to_shutdown_and_the_init_error_is_returned() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_post(Reply::Stall); // init/error
    let shutdown = CancellationToken::new();
    let hook = RecordingHook::new("recorder");
    let runtime = Runtime::builder()
        .with_environment(lambda_env(&api, &[]))
        .hook(hook.clone())
        .on_function_start(|| async { Err::<(), _>(Error::msg("cannot load the model")) })
        .run_until(
            |event: Value, _: Context| async move { Ok::<_, Error>(event) },
            shutdown.clone(),
        );
    let task = tokio::spawn(runtime);
    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .any(|r| r.path.ends_with("/init/error")))
            .await
    );

    let asked = Instant::now();
    shutdown.cancel();
    let error = ended(task).await.unwrap_err();
    let took = asked.elapsed();
    assert!(took < SHUTDOWN_WITHIN, "took {took:?}");
    assert!(
        error.to_string().contains("cannot load the model"),
        "{error}"
    );
    assert_eq!(hook.phases().last(), Some(&Phase::End));
    assert_eq!(posts_to(&api, "/init/error").len(), 1);
}

// Part 4: invocations lost silently.

/// The one error post for `id`, its type header and JSON body.
async fn error_for(api: &HostileRuntimeApi, id: &str) -> (String, Value) {
    let suffix = format!("/{id}/error");
    assert!(
        api.wait_until(WAIT, |got| got.iter().any(|r| r.path.ends_with(&suffix)))
            .await,
        "an error is posted for {id}: {:?}",
        api.received()
    );
    let posts = posts_to(api, &suffix);
    assert_eq!(posts.len(), 1, "{posts:?}");
    let post = &posts[0];
    let header = post
        .header("Lambda-Runtime-Function-Error-Type")
        .unwrap_or_default()
        .to_owned();
    (header, post.body_json().expect("a JSON error body"))
}

/// The loop goes on: a good event after the bad one is answered once.
async fn goes_on(api: &HostileRuntimeApi, running: &mut Running) {
    api.on_next(Reply::event("req-good", r#"{"ok":true}"#));
    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .any(|r| r.path.ends_with("/req-good/response")))
            .await,
        "{:?}",
        api.received()
    );
    assert_eq!(posts_to(api, "/req-good/response").len(), 1);
    let (result, _) = shut_down(running).await;
    result.unwrap();
}

#[tokio::test]
async fn an_event_over_the_body_limit_gets_an_error_naming_size_and_limit() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_next(Reply::event_cut("req-big", 17 * 1024 * 1024, 0, false));
    let mut running = start(lambda_env(&api, &[]));

    let (header, body) = error_for(&api, "req-big").await;
    assert_eq!(header, "Runtime.EventTooLarge");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("17825792"), "{message}");
    assert!(message.contains("16777216"), "{message}");
    assert_eq!(running.handled.load(Ordering::SeqCst), 0);
    goes_on(&api, &mut running).await;
}

#[tokio::test]
async fn an_event_with_more_headers_than_kept_gets_an_error() {
    let api = HostileRuntimeApi::start().await.unwrap();
    let extra: Vec<(String, String)> = (0..40)
        .map(|i| (format!("X-Filler-{i}"), "x".to_owned()))
        .collect();
    api.on_next(Reply::event_with_headers("req-many", &extra, "{}"));
    let mut running = start(lambda_env(&api, &[]));

    let (header, body) = error_for(&api, "req-many").await;
    assert_eq!(header, "Runtime.InvalidEvent");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("headers"), "{message}");
    goes_on(&api, &mut running).await;
}

#[tokio::test]
async fn an_event_with_a_head_over_the_limit_gets_an_error() {
    let api = HostileRuntimeApi::start().await.unwrap();
    let extra = [("X-Big".to_owned(), "a".repeat(70_000))];
    api.on_next(Reply::event_with_headers("req-huge-head", &extra, "{}"));
    let mut running = start(lambda_env(&api, &[]));

    let (header, body) = error_for(&api, "req-huge-head").await;
    assert_eq!(header, "Runtime.InvalidEvent");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("head"), "{message}");
    goes_on(&api, &mut running).await;
}

#[tokio::test]
async fn an_event_whose_connection_closes_mid_body_gets_an_error() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_next(Reply::event_cut("req-cut", 1000, 10, true));
    let mut running = start(lambda_env(&api, &[]));

    let (header, body) = error_for(&api, "req-cut").await;
    assert_eq!(header, "Runtime.InvalidEvent");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("closed"), "{message}");
    goes_on(&api, &mut running).await;
}

#[tokio::test]
async fn an_unreadable_event_without_an_id_is_skipped_and_the_loop_goes_on() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_next(Reply::Raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n".to_vec(),
    ));
    let mut running = start(lambda_env(&api, &[]));
    goes_on(&api, &mut running).await;
    assert_eq!(
        api.posts().len(),
        1,
        "only req-good's answer: {:?}",
        api.posts()
    );
}

// Part 5: request ids into the URL path.

#[tokio::test]
async fn request_ids_with_path_or_control_characters_never_reach_a_request_line() {
    let api = HostileRuntimeApi::start().await.unwrap();
    for id in ["../../runtime/init", "a b", "x/../y", "tab\there", "%2e%2e"] {
        api.on_next(Reply::event(id, "{}"));
    }
    let mut running = start(lambda_env(&api, &[]));

    // One refusal per bad id, each to its percent-encoded path.
    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .filter(|r| r.path.ends_with("/error"))
            .count()
            >= 5)
            .await,
        "{:?}",
        api.received()
    );
    for post in api.posts() {
        let path = &post.path;
        assert!(
            path.starts_with("/2018-06-01/runtime/invocation/"),
            "{path}"
        );
        let id = path
            .trim_start_matches("/2018-06-01/runtime/invocation/")
            .trim_end_matches("/error");
        // One segment of unreserved characters and %XX, never a dot segment.
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)),
            "{path}"
        );
        assert!(id != "." && id != "..", "{path}");
        assert_eq!(path.split('/').count(), 6, "{path}");
        assert_eq!(
            post.header("Lambda-Runtime-Function-Error-Type"),
            Some("Runtime.InvalidRequestId"),
            "{path}"
        );
    }
    assert_eq!(running.handled.load(Ordering::SeqCst), 0, "not run");
    goes_on(&api, &mut running).await;
}

// The SCF pull adapter, where the same faults apply.

#[tokio::test]
async fn scf_a_500_to_a_response_post_is_posted_once_and_the_runtime_exits() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_post(Reply::Raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec(),
    )); // init/ready
    api.on_next(Reply::scf_event("scf-500", r#"{"n":1}"#));
    api.on_post(Reply::Status(500));
    let running = start(scf_env(&api));

    let error = ended(running.task).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("SCF_RUNTIME_API="), "{message}");
    assert_eq!(posts_to(&api, "/invocation/response").len(), 1);
}

#[tokio::test]
async fn scf_an_event_over_the_body_limit_gets_an_error_with_its_id() {
    let api = HostileRuntimeApi::start().await.unwrap();
    let mut cut = b"HTTP/1.1 200 OK\r\nrequest_id: scf-big\r\n".to_vec();
    cut.extend_from_slice(format!("Content-Length: {}\r\n\r\n", 17 * 1024 * 1024).as_bytes());
    api.on_next(Reply::Raw(cut));
    let mut running = start(scf_env(&api));

    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .any(|r| r.path.ends_with("/invocation/error")))
            .await,
        "{:?}",
        api.received()
    );
    let posts = posts_to(&api, "/invocation/error");
    assert_eq!(posts.len(), 1);
    let body = posts[0].body_json().unwrap();
    assert_eq!(body["requestId"], "scf-big");
    assert_eq!(body["errorType"], "Runtime.EventTooLarge");
    let (result, _) = shut_down(&mut running).await;
    result.unwrap();
}

#[tokio::test]
async fn scf_shutdown_during_a_stalled_init_ready_runs_close_and_end_in_time() {
    let api = HostileRuntimeApi::start().await.unwrap();
    api.on_post(Reply::Stall); // init/ready
    let mut running = start(scf_env(&api));
    assert!(
        api.wait_until(WAIT, |got| got
            .iter()
            .any(|r| r.path.ends_with("/init/ready")))
            .await
    );

    let (result, took) = shut_down(&mut running).await;
    eprintln!("time from shutdown to exit under a stalled init/ready (SCF): {took:?}");
    assert!(took < SHUTDOWN_WITHIN, "took {took:?}");
    result.unwrap();
    close_and_end_ran(&running.hook);
}
