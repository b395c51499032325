//! The plugins users see first, against the Lambda emulator: a plugin
//! written in C, and the audit and policy example plugins together.

mod support;

use light_runtime_testkit::lambda::Event;
use serde_json::{json, Value};
use support::running::{lines, start, write_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_c_plugin_rewrites_responses_and_answers_in_place_of_the_handler() {
    let dir = support::private_dir();
    let source = support::workspace_root().join("plugins/c-envelope/envelope.c");
    let Some(envelope) = support::compile_c(&source, &dir.path().join("libenvelope.so"), &[])
    else {
        return;
    };
    let probe = support::rust_plugin("probe");
    let log = dir.path().join("probe.log");
    // Alone, listed in the variable; then inside a Rust plugin, from a file.
    let running = start(&[("LIGHT_RUNTIME_PLUGINS", envelope.display().to_string())]).await;
    let (id, result) = running.invoke(Event::json(json!({"hi": 1}))).await;
    assert_eq!(
        result.body_json().unwrap(),
        json!({"envelope": "c", "request_id": id, "body": {"hi": 1}})
    );
    // Answered by the plugin (the handler fails on "ping"); AfterInvoke
    // still runs for the plugin that answered, so the answer is wrapped too.
    let (id, pong) = running.invoke(Event::json(json!("ping"))).await;
    assert_eq!(
        pong.body_json().unwrap(),
        json!({"envelope": "c", "request_id": id, "body": "pong"})
    );
    running.stop().await;

    let config = write_config(
        dir.path(),
        &[(envelope, json!("acme")), (probe, json!({ "log": log }))],
    );
    let running = start(&[("LIGHT_RUNTIME_PLUGINS_CONFIG", config.display().to_string())]).await;
    let (id, result) = running.invoke(Event::json(json!({"hi": 2}))).await;
    assert_eq!(
        result.body_json().unwrap(),
        json!({"envelope": "acme", "request_id": id, "body": {"hi": 2}}),
        "the Rust plugin inside the C one sees the handler's response first"
    );
    running.stop().await;
    assert!(lines(&log)
        .iter()
        .any(|l| l.contains("AfterInvoke") && l.contains(r#"response={"hi":2}"#)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_and_policy_plugins_log_and_reject() {
    let dir = support::private_dir();
    let audit_log = dir.path().join("audit.log");
    let config = write_config(
        dir.path(),
        &[
            (support::rust_plugin("audit"), json!({ "path": audit_log })),
            (
                support::rust_plugin("policy"),
                json!({ "rules": [{ "pointer": "/action", "equals": "delete", "reason": "use the admin API" }] }),
            ),
        ],
    );
    let running = start(&[("LIGHT_RUNTIME_PLUGINS_CONFIG", config.display().to_string())]).await;
    let (read, ok) = running.invoke(Event::json(json!({"action": "read"}))).await;
    assert_eq!(ok.body_json().unwrap(), json!({"action": "read"}));
    let (delete, rejected) = running
        .invoke(Event::json(json!({"action": "delete"})))
        .await;
    assert_eq!(rejected.error_type(), Some("Policy.Rejected"));
    assert_eq!(
        rejected.error_message(),
        Some(r#"event rejected by policy: /action is "delete" (use the admin API)"#)
    );
    running.stop().await;

    let audit: Vec<Value> = lines(&audit_log)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(audit.len(), 2, "one line per invocation: {audit:?}");
    assert_eq!(audit[0]["request_id"], read.as_str());
    assert_eq!(audit[0]["outcome"], "ok");
    assert_eq!(audit[1]["request_id"], delete.as_str());
    assert_eq!(audit[1]["outcome"], "error");
    assert_eq!(audit[1]["error_type"], "Policy.Rejected");
    assert!(audit
        .iter()
        .all(|l| l["duration_ms"].as_f64().is_some() && l["function"] == "orders"));
}
