//! AWS's own Python runtime client (`awslambdaric`, PyPI) with a Python
//! handler behind `light-runtime proxy`, on the AWS, FC, SCF and plain-HTTP
//! emulators: echo, the handler's own exception, a malformed event, a
//! timeout, the child killed mid-invocation and a response over 6 MiB,
//! each with exactly one answer, and the next invocation served after each
//! fault; HTTP requests as HTTP API events; an init failure.

mod proxy_support;

use proxy_support::{awslambdaric, awslambdaric_available, Platform, Proxy};
use serde_json::{json, Value};

async fn python_function_on(platform: Platform) {
    if !awslambdaric_available() {
        return;
    }
    let name = platform.name();
    let proxy = Proxy::start(&platform.env(), &[], &awslambdaric("echo"));
    platform.ready().await;

    let echoed = platform.invoke(r#"{"order":7,"items":["a","b"]}"#).await;
    assert_eq!(
        echoed.ok(),
        &json!({"order": 7, "items": ["a", "b"]}),
        "{name}"
    );

    let seen = platform.invoke(r#"{"context":true}"#).await;
    let seen = seen.ok();
    assert!(seen["remaining_ms"].as_u64().unwrap() > 0, "{name}: {seen}");
    assert!(
        seen["invoked_function_arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:lambda:"),
        "{name}: {seen}"
    );
    assert!(!seen["request_id"].as_str().unwrap().is_empty());
    assert_eq!(seen["env"]["LIGHT_RUNTIME_PLATFORM"], Value::Null, "{name}");
    assert_eq!(seen["env"]["FC_SERVER_PORT"], Value::Null, "{name}");
    assert_eq!(seen["env"]["SCF_RUNTIME_API"], Value::Null, "{name}");
    assert_eq!(
        seen["env"]["LAMBDA_TASK_ROOT"]
            .as_str()
            .map(std::path::PathBuf::from),
        Some(proxy.dir().canonicalize().unwrap()),
        "{name}"
    );

    let raised = platform.invoke(r#"{"raise":"out of stock"}"#).await;
    assert_eq!(raised.error(), ("OrderRejected", "out of stock"), "{name}");

    let malformed = platform.invoke("{not json").await;
    let (error_type, message) = malformed.error();
    assert_eq!(error_type, "Runtime.UnmarshalError", "{name}: {message}");

    let late = platform.invoke(r#"{"sleep":30}"#).await;
    let (error_type, message) = late.error();
    assert_eq!(error_type, "Function.Timeout", "{name}: {message}");
    let after_timeout = platform.invoke(r#"{"n":1}"#).await;
    assert_eq!(
        after_timeout.ok(),
        &json!({"n": 1}),
        "{name}: served after the reset"
    );

    let killed = platform.invoke(r#"{"kill":true}"#).await;
    let (error_type, message) = killed.error();
    assert_eq!(error_type, "Runtime.ExitError", "{name}");
    assert!(message.contains("signal 9 (SIGKILL)"), "{name}: {message}");
    let exited = platform.invoke(r#"{"n":2}"#).await;
    assert_eq!(
        exited.ok(),
        &json!({"n": 2}),
        "{name}: served after the restart"
    );

    let big = platform.invoke(r#"{"big":true}"#).await;
    let (error_type, message) = big.error();
    assert_eq!(
        error_type, "Function.ResponseSizeTooLarge",
        "{name}: {message}"
    );
    let after_big = platform.invoke(r#"{"n":3}"#).await;
    assert_eq!(
        after_big.ok(),
        &json!({"n": 3}),
        "{name}: served after the refusal"
    );

    let exit = platform.invoke(r#"{"exit":3}"#).await;
    let (error_type, message) = exit.error();
    assert_eq!(error_type, "Runtime.ExitError", "{name}");
    assert!(message.contains("exit status 3"), "{name}: {message}");
    assert_eq!(
        platform.invoke("[1,2]").await.ok(),
        &json!([1, 2]),
        "{name}"
    );

    platform.pre_stop().await;
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{name}: {status}\n{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_function_on_aws() {
    python_function_on(Platform::aws().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_function_on_fc() {
    python_function_on(Platform::fc()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_function_on_scf() {
    python_function_on(Platform::scf().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_function_on_plain_http() {
    python_function_on(Platform::http()).await;
}

fn web_request() -> http::Request<bytes::Bytes> {
    http::Request::post("/orders?id=7&id=8")
        .header("content-type", "text/plain")
        .header("cookie", "session=abc")
        .body(bytes::Bytes::from_static(b"two apples"))
        .unwrap()
}

fn assert_web_reply(reply: &light_runtime_testkit::caller::Reply, name: &str) {
    assert_eq!(reply.status, 201, "{name}: {reply:?}");
    assert_eq!(reply.header("x-handler"), Some("python"), "{name}");
    assert_eq!(reply.header("content-type"), Some("text/plain"), "{name}");
    assert_eq!(reply.header("set-cookie"), Some("seen=1"), "{name}");
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        "POST /orders?id=7&id=8 two apples",
        "{name}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scf_web_and_plain_http_requests_reach_the_handler_as_http_api_events() {
    if !awslambdaric_available() {
        return;
    }
    let platforms = [
        (
            "scf web",
            light_runtime_testkit::http_platform::HttpPlatform::scf_web().unwrap(),
        ),
        (
            "plain http",
            light_runtime_testkit::http_platform::HttpPlatform::knative().unwrap(),
        ),
    ];
    for (name, platform) in platforms {
        let proxy = Proxy::start(&platform.env(), &[], &awslambdaric("web"));
        assert!(platform.wait_ready(proxy_support::WAIT).await, "{name}");
        let reply = platform.send(web_request()).await.unwrap();
        assert_web_reply(&reply, name);
        let (status, stderr) = proxy.terminate().await;
        assert!(status.success(), "{name}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_fc_http_invocation_reaches_the_handler_as_an_http_api_event_and_comes_back_as_http() {
    if !awslambdaric_available() {
        return;
    }
    let platform = Platform::fc();
    let proxy = Proxy::start(&platform.env(), &[], &awslambdaric("web"));
    platform.ready().await;
    let Platform::Fc(fc) = &platform else {
        unreachable!()
    };
    let reply = fc.http_invoke(web_request()).await.unwrap();
    assert_web_reply(&reply, "fc");

    platform.pre_stop().await;
    let (status, stderr) = proxy.terminate().await;
    assert!(status.success(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_module_that_fails_to_import_is_the_platforms_init_error() {
    if !awslambdaric_available() {
        return;
    }
    let platform = Platform::aws().await;
    let mut proxy = Proxy::start(
        &platform.env(),
        &[],
        &[
            "python3".into(),
            "-m".into(),
            "awslambdaric".into(),
            "failing_init.handler".into(),
        ],
    );
    let Platform::Aws(aws) = &platform else {
        unreachable!()
    };
    let reported = aws
        .wait_init_error(proxy_support::WAIT)
        .await
        .expect("init error reported");
    let message = reported.body_json().unwrap()["errorMessage"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("Runtime.ImportModuleError"), "{message}");
    assert!(message.contains("the database is unreachable"), "{message}");
    let (status, stderr) = proxy.exited().await;
    assert!(!status.success(), "{stderr}");
}
