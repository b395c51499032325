//! The relay end to end on loopback: a light-runtime function runs under
//! the Lambda or FC emulator (the "cloud") with `LIGHT_RUNTIME_RELAY` set,
//! `light-runtime relay` runs the echo example (the "local build"), and the
//! tests assert what the cloud platform received: the local answer, or one
//! clear error (or the cloud's own handler with the local fallback) when
//! the laptop refuses, is down, is too slow, hangs up or forges an answer.

#[path = "../../light-runtime/tests/support/mod.rs"]
mod support;

mod relay_support;

use std::time::Duration;

use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use relay_support::{dead_url, fake_laptop, relay_vars, Cloud, Laptop, RelayCommand, SECRET, WAIT};
use serde_json::{json, Value};

/// Pushes `event` to the cloud with `deadline` and returns its one result.
async fn invoke(emulator: &LambdaEmulator, event: Event, deadline: Duration) -> InvocationResult {
    // The deadline runs from the push: push only once the runtime is idle.
    assert!(
        emulator.wait_next_waiting(1, WAIT).await,
        "the cloud polls for events"
    );
    let id = emulator.push(event.deadline_in(deadline));
    let result = emulator
        .result(&id, WAIT)
        .await
        .expect("the cloud answered");
    // Give a second answer, if one were coming, the time to arrive.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(emulator.answers_for(&id), 1, "exactly one answer for {id}");
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aws_invocation_is_answered_by_the_local_build() {
    let relay = RelayCommand::start("aws", SECRET, &support::echo_example()).await;
    let emulator = LambdaEmulator::start().await.unwrap();
    let cloud = Cloud::aws(&emulator, &relay_vars(&relay.url, SECRET));

    let event = Event::json(json!({"order": 7})).request_id("cloud-req-1");
    let result = invoke(&emulator, event, Duration::from_secs(10)).await;
    assert_eq!(
        result.body_json(),
        Some(json!({"order": 7})),
        "the echo's answer, not the cloud's"
    );
    let seen = relay.wait_for_stdout("cloud-req-1 answered").await;
    assert!(
        seen.is_some(),
        "the relay printed the invocation: {:?}",
        relay.stdout()
    );

    // The local build's error comes back as the cloud's error.
    let event = Event::raw("not json").request_id("cloud-req-2");
    let result = invoke(&emulator, event, Duration::from_secs(10)).await;
    assert_eq!(
        result.error_type(),
        Some("Runtime.MalformedEvent"),
        "{result:?}"
    );

    cloud.stop().await;
    assert!(relay.stop().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_fc_invocation_is_answered_by_the_local_build_under_the_fc_emulator() {
    let relay = RelayCommand::start("fc", SECRET, &support::echo_example()).await;
    let emulator = FcEmulator::builder()
        .function_name("orders")
        .timeout_secs(10)
        .start()
        .unwrap();
    let cloud = Cloud::fc(&emulator, &relay_vars(&relay.url, SECRET));
    assert!(
        emulator.wait_ready(WAIT).await,
        "the cloud function listens"
    );
    assert_eq!(emulator.initialize().await.unwrap().status, 200);

    let reply = emulator.invoke(r#"{"order": 8}"#).await.unwrap();
    assert_eq!(reply.header("x-fc-status"), Some("200"), "{reply:?}");
    assert_eq!(
        reply.body_json(),
        Some(json!({"order": 8})),
        "the echo's answer"
    );
    assert!(
        relay.wait_for_stdout("answered").await.is_some(),
        "{:?}",
        relay.stdout()
    );

    cloud.stop().await;
    assert!(relay.stop().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_and_logged_and_nothing_runs_locally() {
    let relay = RelayCommand::start("aws", SECRET, &support::echo_example()).await;
    let emulator = LambdaEmulator::start().await.unwrap();
    let cloud = Cloud::aws(
        &emulator,
        &relay_vars(&relay.url, "another-secret-0123456789"),
    );

    let result = invoke(
        &emulator,
        Event::json(json!({"order": 9})),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(result.error_type(), Some("Relay.Refused"), "{result:?}");
    assert!(result
        .error_message()
        .unwrap()
        .contains("LIGHT_RUNTIME_RELAY_SECRET"));
    let logged = relay
        .wait_for_stderr("401")
        .await
        .expect("the refusal is logged");
    assert!(logged.contains("signature does not match"), "{logged}");
    assert!(
        !relay
            .stdout()
            .iter()
            .any(|line| line.contains("answered") || line.contains(" from ")),
        "the local build never ran: {:?}",
        relay.stdout()
    );

    cloud.stop().await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_answer_is_no_answer() {
    let (url, reached) = fake_laptop(Laptop::Forges).await;
    let emulator = LambdaEmulator::start().await.unwrap();
    let cloud = Cloud::aws(&emulator, &relay_vars(&url, SECRET));

    let result = invoke(&emulator, Event::json(json!({})), Duration::from_secs(10)).await;
    assert_eq!(result.error_type(), Some("Relay.BadAnswer"), "{result:?}");
    assert!(result
        .error_message()
        .unwrap()
        .contains("signature does not match"));
    assert_eq!(*reached.lock().unwrap(), 1);
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_laptop_that_is_down_is_a_clear_error() {
    let url = dead_url();
    let emulator = LambdaEmulator::start().await.unwrap();
    let cloud = Cloud::aws(&emulator, &relay_vars(&url, SECRET));

    let result = invoke(&emulator, Event::json(json!({})), Duration::from_secs(10)).await;
    assert_eq!(result.error_type(), Some("Relay.Unavailable"), "{result:?}");
    let message = result.error_message().unwrap();
    assert!(
        message.contains(&url["http://".len()..]) && message.contains("light-runtime relay"),
        "{message}"
    );
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_laptop_slower_than_the_deadline_is_one_timeout_error() {
    let (url, reached) = fake_laptop(Laptop::Silent).await;
    let emulator = LambdaEmulator::start().await.unwrap();
    let cloud = Cloud::aws(&emulator, &relay_vars(&url, SECRET));

    let result = invoke(
        &emulator,
        Event::json(json!({})),
        Duration::from_millis(1500),
    )
    .await;
    assert_eq!(result.error_type(), Some("Relay.Timeout"), "{result:?}");
    assert!(result
        .error_message()
        .unwrap()
        .contains("did not answer within"));
    assert_eq!(
        *reached.lock().unwrap(),
        1,
        "the invocation reached the laptop once"
    );
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_laptop_that_hangs_up_mid_invocation_is_one_error_and_not_sent_again() {
    let (url, reached) = fake_laptop(Laptop::HangsUp).await;
    let emulator = LambdaEmulator::start().await.unwrap();
    let cloud = Cloud::aws(&emulator, &relay_vars(&url, SECRET));

    let result = invoke(&emulator, Event::json(json!({})), Duration::from_secs(10)).await;
    assert_eq!(
        result.error_type(),
        Some("Relay.Disconnected"),
        "{result:?}"
    );
    assert_eq!(*reached.lock().unwrap(), 1, "not sent a second time");
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_fallback_runs_the_cloud_handler_once() {
    let url = dead_url();
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut vars = relay_vars(&url, SECRET);
    vars.push(("LIGHT_RUNTIME_RELAY_FALLBACK", "local"));
    let cloud = Cloud::aws(&emulator, &vars);
    let result = invoke(
        &emulator,
        Event::json(json!({"order": 10})),
        Duration::from_secs(10),
    )
    .await;
    let body: Value = result.body_json().expect("the cloud's answer");
    assert_eq!(body, json!({"handled_by": "cloud", "event": {"order": 10}}));

    // A slow laptop with the fallback: the relay waits half the time, the
    // handler answers, and the laptop's late answer is never taken.
    // A fresh emulator: the stopped runtime's last `next` must not take
    // the event.
    let (slow, reached) = fake_laptop(Laptop::Silent).await;
    cloud.stop().await;
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut vars = relay_vars(&slow, SECRET);
    vars.push(("LIGHT_RUNTIME_RELAY_FALLBACK", "local"));
    let cloud = Cloud::aws(&emulator, &vars);
    let result = invoke(
        &emulator,
        Event::json(json!({"order": 11})),
        Duration::from_millis(1500),
    )
    .await;
    assert_eq!(result.body_json().unwrap()["handled_by"], "cloud");
    assert_eq!(*reached.lock().unwrap(), 1);
    cloud.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_url_without_a_secret_relays_nothing_and_says_so() {
    let (url, reached) = fake_laptop(Laptop::Silent).await;
    let emulator = LambdaEmulator::start().await.unwrap();
    let cloud = Cloud::aws(&emulator, &[("LIGHT_RUNTIME_RELAY", url.as_str())]);
    let result = invoke(&emulator, Event::json(json!({})), Duration::from_secs(10)).await;
    assert_eq!(
        result.error_type(),
        Some("Relay.Misconfigured"),
        "{result:?}"
    );
    assert!(result
        .error_message()
        .unwrap()
        .contains("LIGHT_RUNTIME_RELAY_SECRET is not set"));
    assert_eq!(
        *reached.lock().unwrap(),
        0,
        "nothing unsigned leaves the instance"
    );
    cloud.stop().await;
}

#[tokio::test]
async fn the_relay_command_refuses_a_missing_or_short_secret_and_names_the_variable() {
    let run = |secret: Option<&str>| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"));
        command
            .args([
                "relay",
                "--listen",
                "127.0.0.1:0",
                "--platform",
                "aws",
                "--secret-env",
            ])
            .args(["TEST_RELAY_SECRET", "--", "/bin/true"])
            .env_remove("TEST_RELAY_SECRET")
            .kill_on_drop(true);
        if let Some(secret) = secret {
            command.env("TEST_RELAY_SECRET", secret);
        }
        async move {
            tokio::time::timeout(WAIT, command.output())
                .await
                .expect("the relay exits by itself")
                .unwrap()
        }
    };
    let missing = run(None).await;
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("TEST_RELAY_SECRET is not set"), "{stderr}");

    let short = run(Some("short")).await;
    assert!(!short.status.success());
    let stderr = String::from_utf8_lossy(&short.stderr);
    assert!(
        stderr.contains("TEST_RELAY_SECRET") && stderr.contains("at least 16"),
        "{stderr}"
    );

    let platform = tokio::process::Command::new(env!("CARGO_BIN_EXE_light-runtime"))
        .args([
            "relay",
            "--listen",
            "127.0.0.1:0",
            "--platform",
            "gcp",
            "--",
            "/bin/true",
        ])
        .output()
        .await
        .unwrap();
    assert!(!platform.status.success());
    assert!(String::from_utf8_lossy(&platform.stderr).contains("unknown platform `gcp`"));
}
