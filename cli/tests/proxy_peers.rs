//! Proxy mode with code that is not ours: a function on `lambda_runtime`
//! 1.5 (crates.io, AWS's official Rust runtime; the benches crate's
//! `echo-lambda-runtime`) served on FC and SCF, and a hook plugin
//! (`plugins/audit`) and a layer firing around a proxied invocation.

#[path = "../../light-runtime/tests/support/mod.rs"]
mod support;

mod proxy_support;

use std::path::Path;

use proxy_support::{awslambdaric, awslambdaric_available, Platform, Proxy};
use serde_json::{json, Value};

async fn lambda_runtime_function_on(platform: Platform, binary: &Path) {
    let name = platform.name();
    let proxy = Proxy::start(&platform.env(), &[], &[binary.display().to_string()]);
    platform.ready().await;
    for n in 0..3 {
        let event = json!({"order": n, "note": "from lambda_runtime"});
        let answer = platform.invoke(event.to_string()).await;
        assert_eq!(answer.ok(), &event, "{name}");
    }
    let malformed = platform.invoke("{not json").await;
    let (error_type, message) = malformed.error();
    assert!(!error_type.is_empty(), "{name}: {message}");
    platform.pre_stop().await;
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{name}: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lambda_runtime_function_on_fc_and_scf() {
    let binary = support::lambda_runtime_echo();
    lambda_runtime_function_on(Platform::fc(), &binary).await;
    lambda_runtime_function_on(Platform::scf().await, &binary).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_plugin_and_a_layer_see_each_proxied_invocation() {
    if !awslambdaric_available() {
        return;
    }
    let platform = Platform::aws().await;
    let mut env = platform.env();
    env.push((
        "LIGHT_RUNTIME_PLUGINS".into(),
        support::rust_plugin("audit").display().to_string(),
    ));
    env.push(("LIGHT_RUNTIME_LAYERS".into(), "logging".into()));
    env.push(("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into()));
    env.push(("AWS_LAMBDA_LOG_LEVEL".into(), "DEBUG".into()));
    let proxy = Proxy::start(&env, &[], &awslambdaric("echo"));
    platform.ready().await;

    let Platform::Aws(aws) = &platform else {
        unreachable!()
    };
    let ok = aws.push(light_runtime_testkit::Event::json(json!({"n": 1})));
    let failed = aws.push(light_runtime_testkit::Event::json(json!({"raise": "no"})));
    for id in [&ok, &failed] {
        assert!(aws.result(id, proxy_support::WAIT).await.is_some());
    }
    let stdout = proxy.stdout();
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");

    // The logging layer: the proxy's own line inside each invocation,
    // in Lambda's JSON log format, carries that invocation's request id.
    for id in [&ok, &failed] {
        assert!(
            stdout
                .lines()
                .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                .any(|line| line["requestId"] == id.as_str()
                    && line["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("queued"))),
            "no logging-layer line for {id}:\n{stdout}"
        );
    }

    let audits: Vec<Value> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["audit"] == "invocation")
        .collect();
    let outcome = |id: &str| {
        audits
            .iter()
            .find(|line| line["request_id"] == id)
            .map(|line| line["outcome"].clone())
    };
    assert_eq!(outcome(&ok), Some(json!("ok")), "{stderr}");
    assert!(
        outcome(&failed).is_some_and(|o| o != json!("ok")),
        "{stderr}"
    );
    // The plugin saw the function's facts through the proxy.
    assert!(
        audits.iter().all(|line| line["function"].is_string()),
        "{stderr}"
    );
}
