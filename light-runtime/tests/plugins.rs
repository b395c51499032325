//! Hook plugins loaded from shared libraries, run against the Lambda
//! emulator as a platform would see them: every phase in order with its
//! data, rewrites, contained panics and failures, composition. Each test
//! runs the probe written both ways, as a `Hook` (`libprobe.so`) and as a
//! `ViewHook` (`libprobe_view.so`); the onion mixes the two.

mod support;

use light_runtime::Phase;
use light_runtime_testkit::lambda::Event;
use serde_json::json;
use support::running::{lines, phases, start, write_config, WAIT, XRAY};

/// The probe as a `Hook` and as a `ViewHook`: one name, one log format.
fn probes() -> [std::path::PathBuf; 2] {
    [
        support::rust_plugin("probe"),
        support::rust_example_plugin("probe_view"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_sees_every_phase_in_order_with_its_data() {
    for probe in probes() {
        sees_every_phase_in_order_with_its_data(probe).await;
    }
}

async fn sees_every_phase_in_order_with_its_data(probe: std::path::PathBuf) {
    let dir = support::private_dir();
    let log = dir.path().join("probe.log");
    let config = write_config(dir.path(), &[(probe.clone(), json!({ "log": log }))]);
    let running = start(&[("LIGHT_RUNTIME_PLUGINS_CONFIG", config.display().to_string())]).await;

    let (first, result) = running
        .invoke(Event::json(json!({"n": 1})).trace_id(XRAY))
        .await;
    assert_eq!(result.body_json().unwrap(), json!({"n": 1}));
    assert!(running.emulator.wait_next_waiting(1, WAIT).await);
    let (second, _) = running.invoke(Event::json(json!({"n": 2}))).await;
    let timings = running.stop().await;

    // Freeze runs before every `next` on AWS, the first one included.
    let expected = [
        "RuntimeStart",
        "FunctionStart",
        "Freeze",
        "BeforeInvoke",
        "AfterInvoke",
        "AfterResponse",
        "Freeze",
        "BeforeInvoke",
        "AfterInvoke",
        "AfterResponse",
        "Freeze",
        "Close",
        "End",
    ];
    let seen: Vec<String> = phases(&log)
        .iter()
        .map(|p| p.trim_start_matches("probe ").to_owned())
        .collect();
    assert_eq!(seen, expected, "{}: {:#?}", probe.display(), lines(&log));

    let all = lines(&log);
    let find = |prefix: &str, nth: usize| {
        all.iter()
            .filter(|l| l.starts_with(prefix))
            .nth(nth)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        find("probe RuntimeStart", 0),
        "probe RuntimeStart function=orders version=7 platform=aws memory=Some(256) region=Some(\"eu-west-1\")"
    );
    assert_eq!(
        find("probe BeforeInvoke", 0),
        format!(
            "probe BeforeInvoke request_id={first} sequence=1 cold_start=true deadline=true \
             arn=arn:aws:lambda:us-east-1:123456789012:function:test-function \
             trace=00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01 event={{\"n\":1}}"
        )
    );
    assert!(find("probe BeforeInvoke", 1)
        .contains(&format!("request_id={second} sequence=2 cold_start=false")));
    assert_eq!(
        find("probe AfterInvoke", 0),
        format!("probe AfterInvoke request_id={first} response={{\"n\":1}}")
    );
    assert_eq!(
        find("probe AfterResponse", 1),
        format!("probe AfterResponse request_id={second} response={{\"n\":2}}")
    );
    assert_eq!(find("probe End", 0), "probe End exit_code=0");

    let start = timings.phase(Phase::RuntimeStart);
    assert!(
        start.step("load plugin probe").is_some(),
        "load time in the timings: {timings}"
    );
    assert_eq!(
        timings
            .phase(Phase::BeforeInvoke)
            .step("probe")
            .unwrap()
            .count,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_rewrites_the_event_and_the_response() {
    for probe in probes() {
        let dir = support::private_dir();
        let log = dir.path().join("probe.log");
        let config =
            json!({ "log": log, "rewrite_event": {"rewritten": true}, "wrap_response": true });
        let config = write_config(dir.path(), &[(probe.clone(), config)]);
        let running =
            start(&[("LIGHT_RUNTIME_PLUGINS_CONFIG", config.display().to_string())]).await;
        let (_, result) = running.invoke(Event::json(json!({"original": 1}))).await;
        assert_eq!(
            result.body_json().unwrap(),
            json!({"wrapped": {"rewritten": true}}),
            "{}",
            probe.display()
        );
        running.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_or_failing_plugin_fails_only_that_invocation() {
    for probe in probes() {
        fails_only_that_invocation(probe).await;
    }
}

async fn fails_only_that_invocation(probe: std::path::PathBuf) {
    let dir = support::private_dir();
    for (phase, how, words) in [
        (
            "BeforeInvoke",
            "panic_at",
            "panicked: probe `p` was told to panic at BeforeInvoke",
        ),
        (
            "AfterInvoke",
            "panic_at",
            "panicked: probe `p` was told to panic at AfterInvoke",
        ),
        (
            "BeforeInvoke",
            "fail_at",
            "probe `p` was told to fail at BeforeInvoke",
        ),
    ] {
        let log = dir.path().join(format!("{phase}-{how}.log"));
        let config = write_config(
            dir.path(),
            &[(
                probe.clone(),
                json!({ "log": log, "label": "p", how: phase }),
            )],
        );
        let running =
            start(&[("LIGHT_RUNTIME_PLUGINS_CONFIG", config.display().to_string())]).await;
        for n in 0..2 {
            let (id, result) = running.invoke(Event::json(json!({ "n": n }))).await;
            assert_eq!(
                result.error_type(),
                Some("Runtime.HookFailed"),
                "{phase} {how}"
            );
            let message = result.error_message().unwrap();
            assert!(
                message.contains(&format!("{phase} hook `probe` failed")),
                "{message}"
            );
            assert!(message.contains(words), "{message}");
            assert!(
                message.contains(&probe.display().to_string()),
                "names the file: {message}"
            );
            assert_eq!(running.emulator.answers_for(&id), 1);
        }
        running.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_plugins_compose_like_an_onion() {
    let [hook, view] = probes();
    compose_like_an_onion(hook.clone(), view.clone()).await;
    compose_like_an_onion(view, hook).await;
}

async fn compose_like_an_onion(first: std::path::PathBuf, second: std::path::PathBuf) {
    let dir = support::private_dir();
    let log = dir.path().join("both.log");
    let config = write_config(
        dir.path(),
        &[
            (
                first,
                json!({ "log": log, "label": "first", "wrap_response": true }),
            ),
            (
                second,
                json!({ "log": log, "label": "second", "rewrite_event": {"by": "second"} }),
            ),
        ],
    );
    let running = start(&[("LIGHT_RUNTIME_PLUGINS_CONFIG", config.display().to_string())]).await;
    let (_, result) = running.invoke(Event::json(json!({"n": 1}))).await;
    assert_eq!(
        result.body_json().unwrap(),
        json!({"wrapped": {"by": "second"}})
    );
    running.stop().await;
    let seen: Vec<String> = phases(&log)
        .into_iter()
        .filter(|p| !p.ends_with("Freeze"))
        .collect();
    let expected = [
        "first RuntimeStart",
        "second RuntimeStart",
        "first FunctionStart",
        "second FunctionStart",
        "first BeforeInvoke",
        "second BeforeInvoke",
        "second AfterInvoke",
        "first AfterInvoke",
        "second AfterResponse",
        "first AfterResponse",
        "second Close",
        "first Close",
        "second End",
        "first End",
    ];
    assert_eq!(seen, expected);
}
