//! `light-runtime emulate` running the `examples` echo (a light-runtime
//! function) on FC, SCF, SCF web and plain HTTP, as a user would: the
//! answer through the invoke endpoint, the freeze between invocations
//! (state `T` in `/proc`, and an answer after), the function's log lines
//! given to their invocation, and `--idle-kill` killing the instance so
//! the next invocation cold-starts a new one.

#[path = "../../light-runtime/tests/support/mod.rs"]
mod support;

mod emulate_support;

use base64::Engine;
use emulate_support::{process_state, Emulate};
use serde_json::json;

#[test]
fn the_echo_answers_on_every_platform_frozen_between_invocations() {
    let echo = support::echo_example().display().to_string();
    for platform in ["fc", "scf", "scf-web", "http"] {
        let emulate = Emulate::start(&["--platform", platform], std::slice::from_ref(&echo), &[]);
        let first = emulate.invoke(r#"{"n":1}"#);
        assert_eq!(first.status, 200, "{platform}: {first:?}");
        assert_eq!(first.json(), json!({"n": 1}), "{platform}");
        assert!(first.cold(), "{platform}: {first:?}");
        assert!(
            first.all("x-light-runtime-breach").is_empty(),
            "{platform}: {first:?}"
        );

        let pid = emulate.instance_pid(1);
        assert_eq!(
            process_state(pid),
            Some('T'),
            "{platform}: frozen when idle"
        );
        let second = emulate.invoke(r#"{"n":2}"#);
        assert_eq!(
            second.json(),
            json!({"n": 2}),
            "{platform}: answers once thawed"
        );
        assert!(!second.cold(), "{platform}: {second:?}");
        assert_eq!(process_state(pid), Some('T'), "{platform}");

        let status = emulate.interrupt();
        assert!(status.success(), "{platform}: {status}");
    }
}

#[test]
fn fc_log_lines_belong_to_their_invocation() {
    let echo = support::echo_example().display().to_string();
    let emulate = Emulate::start(&["--platform", "fc", "--function", "orders"], &[echo], &[]);
    let reply = emulate.invoke_with(r#"{"n":1}"#, &[("X-Amz-Log-Type", "Tail")]);
    let request_id = reply.header("x-amz-request-id").unwrap().to_owned();
    // The runtime writes FC's markers with the invocation's request id.
    let tail = base64::engine::general_purpose::STANDARD
        .decode(reply.header("x-amz-log-result").unwrap())
        .unwrap();
    let tail = String::from_utf8(tail).unwrap();
    assert!(
        tail.contains(&format!("FC Invoke Start RequestId: {request_id}")),
        "{tail}"
    );
    // Printed under the invocation's header line, not as idle logs.
    emulate.wait_line(&format!("log | FC Invoke End RequestId: {request_id}"));
    // The Initializer ran before, as init.
    emulate.wait_line("[init] FC Initialize Start");
    assert!(
        !emulate
            .output()
            .contains(&format!("[idle] FC Invoke Start RequestId: {request_id}")),
        "{}",
        emulate.output()
    );
}

#[test]
fn an_idle_instance_is_killed_and_the_next_invocation_cold_starts() {
    let echo = support::echo_example().display().to_string();
    for platform in ["http", "fc"] {
        let emulate = Emulate::start(
            &["--platform", platform, "--idle-kill", "300ms"],
            std::slice::from_ref(&echo),
            &[],
        );
        assert!(emulate.invoke(r#"{"n":1}"#).cold(), "{platform}");
        let pid = emulate.instance_pid(1);
        emulate.wait_line("killed after 300ms idle");
        assert_eq!(
            process_state(pid),
            None,
            "{platform}: the idle instance is gone"
        );

        let again = emulate.invoke(r#"{"n":2}"#);
        assert_eq!(again.json(), json!({"n": 2}), "{platform}");
        assert!(again.cold(), "{platform}: {again:?}");
        assert_ne!(emulate.instance_pid(2), pid, "{platform}");
        if platform == "fc" {
            // FC calls PreStop before it reclaims an instance.
            emulate.wait_line("[idle] FC PreStop Start");
        }
    }
}

#[test]
fn fc_sends_concurrent_requests_to_one_instance_and_stops_it_with_pre_stop_then_sigterm() {
    let server = emulate_support::python("fc_server.py", &["2"]);
    let emulate = Emulate::start(&["--platform", "fc", "--concurrency", "2"], &server, &[]);
    // Each answer waits until both requests are in the server at once.
    let shared = &emulate;
    let replies: Vec<_> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..2)
            .map(|n| scope.spawn(move || shared.invoke(&format!(r#"{{"n":{n}}}"#))))
            .collect();
        calls.into_iter().map(|call| call.join().unwrap()).collect()
    });
    for reply in &replies {
        assert_eq!(reply.json()["together"], 2, "{reply:?}");
    }
    assert_eq!(
        emulate.wait_lines("started: pid", 1).len(),
        1,
        "one instance"
    );
    emulate.wait_line("[init] initialize");

    // Ctrl-C: FC's PreStop, then SIGTERM, which the server handles.
    let pid = emulate.instance_pid(1);
    let lines = emulate.lines_handle();
    let status = emulate.interrupt();
    assert!(status.success(), "{status}");
    let output = lines.lock().unwrap().join("\n");
    let pre_stop = output.find("[idle] pre-stop").expect(&output);
    let sigterm = output.find("[idle] got SIGTERM").expect(&output);
    assert!(pre_stop < sigterm, "{output}");
    assert!(output.contains("stopped (exit status 0)"), "{output}");
    assert_eq!(process_state(pid), None);
}
