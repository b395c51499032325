//! The AWS Lambda adapter against the Runtime API emulator, as the platform
//! sees it: what was posted, how often, with which headers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod support;
use support::running::{echo, env_for};

use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Phase, Runtime, RuntimeError};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::recording::RecordingHook;
use light_runtime_testkit::stop_runtime;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

/// A function that fails, panics or echoes, depending on the event.
async fn moody(event: Value, _ctx: Context) -> Result<Value, Error> {
    match event["do"].as_str() {
        Some("fail") => Ok(event["n"]
            .as_str()
            .unwrap_or("x")
            .parse::<u32>()
            .map(Value::from)?),
        Some("panic") => panic!("the function was told to panic"),
        _ => Ok(event),
    }
}

/// Starts the runtime in the background; returns its shutdown token and task.
fn start<F, Fut>(
    env: Environment,
    hooks: Vec<RecordingHook>,
    handler: F,
) -> (
    CancellationToken,
    tokio::task::JoinHandle<Result<(), RuntimeError>>,
)
where
    F: Fn(Value, Context) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Value, Error>> + Send + 'static,
{
    let shutdown = CancellationToken::new();
    let mut builder = Runtime::builder().with_environment(env);
    for hook in hooks {
        builder = builder.hook(hook);
    }
    let task = tokio::spawn(builder.run_until(handler, shutdown.clone()));
    (shutdown, task)
}

#[tokio::test]
async fn echo_round_trip() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let (shutdown, task) = start(env_for(&emulator, &[]), vec![], echo);
    let id = emulator.push(Event::json(json!({"hello": "world", "n": [1, 2, 3]})));
    let result = emulator.result(&id, WAIT).await.expect("an answer");
    assert!(!result.is_error());
    assert_eq!(
        result.body_json().unwrap(),
        json!({"hello": "world", "n": [1, 2, 3]})
    );
    assert_eq!(emulator.answers_for(&id), 1);
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn every_context_field_is_filled_from_its_header() {
    let emulator = LambdaEmulator::builder()
        .function_arn("arn:aws:lambda:eu-west-1:210987654321:function:orders:live")
        .timeout(Duration::from_secs(5))
        .start()
        .await
        .unwrap();
    let (shutdown, task) = start(
        env_for(&emulator, &[]),
        vec![],
        |_: Value, ctx: Context| async move {
            let remaining = ctx.remaining().unwrap();
            Ok::<_, Error>(json!({
                "request_id": ctx.request_id(),
                "function_name": ctx.function_name(),
                "function_version": ctx.function_version(),
                "memory_mb": ctx.memory_mb(),
                "region": ctx.region(),
                "account_id": ctx.account_id(),
                "platform": ctx.platform().short_name(),
                "arn": ctx.invoked_function_arn(),
                "deadline_ok": remaining > Duration::from_secs(3) && remaining <= Duration::from_secs(5),
                "cold_start": ctx.is_cold_start(),
                "sequence": ctx.sequence(),
                "traceparent": ctx.trace().map(|t| t.to_traceparent()),
                "trace_header": ctx.trace_header(),
                "client_app": ctx.client_context().map(|c| c.client.app_title.clone()),
                "client_custom": ctx.client_context().and_then(|c| c.custom.get("tier").cloned()),
                "identity": ctx.identity().map(|i| i.cognito_identity_id.clone()),
                "identity_pool": ctx.identity().map(|i| i.cognito_identity_pool_id.clone()),
                "tenant": ctx.tenant_id(),
                "raw_header": ctx.platform_headers().get("x-custom-platform-header"),
                "cancelled": ctx.is_cancelled(),
            }))
        },
    );
    let xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let id = emulator.push(
        Event::json(json!({}))
            .trace_id(xray)
            .client_context(r#"{"client":{"app_title":"shop"},"custom":{"tier":"gold"},"env":{}}"#)
            .cognito_identity(r#"{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}"#)
            .tenant_id("tenant-9")
            .header("X-Custom-Platform-Header", "raw-value"),
    );
    let seen = emulator
        .result(&id, WAIT)
        .await
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(
        seen,
        json!({
            "request_id": id,
            "function_name": "orders",
            "function_version": "7",
            "memory_mb": 256,
            "region": "eu-west-1",
            "account_id": "210987654321",
            "platform": "aws",
            "arn": "arn:aws:lambda:eu-west-1:210987654321:function:orders:live",
            "deadline_ok": true,
            "cold_start": true,
            "sequence": 1,
            "traceparent": "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01",
            "trace_header": xray,
            "client_app": "shop",
            "client_custom": "gold",
            "identity": "id-1",
            "identity_pool": "pool-1",
            "tenant": "tenant-9",
            "raw_header": "raw-value",
            "cancelled": false,
        })
    );
    let second = emulator.push(Event::json(json!({})));
    let seen = emulator
        .result(&second, WAIT)
        .await
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(seen["cold_start"], false);
    assert_eq!(seen["sequence"], 2);
    assert_eq!(seen["traceparent"], Value::Null);
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn error_panic_and_malformed_event_each_get_one_error_and_the_loop_goes_on() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let (shutdown, task) = start(env_for(&emulator, &[]), vec![], moody);

    let failing = emulator.push(Event::json(json!({"do": "fail", "n": "forty-two"})));
    let panicking = emulator.push(Event::json(json!({"do": "panic"})));
    let malformed = emulator.push(Event::raw(&b"{\"do\": \"echo\", \"n\": tru}"[..]));
    let fine = emulator.push(Event::json(json!({"do": "echo"})));
    assert!(emulator.wait_results(4, WAIT).await);

    let error = emulator.result(&failing, WAIT).await.unwrap();
    assert_eq!(error.error_type(), Some("ParseIntError"));
    assert!(error.error_message().unwrap().contains("invalid digit"));
    let error_call = emulator
        .calls()
        .into_iter()
        .find(|c| c.path.ends_with(&format!("{failing}/error")))
        .unwrap();
    assert_eq!(
        error_call.header("Lambda-Runtime-Function-Error-Type"),
        Some("Function.ParseIntError")
    );

    let panic = emulator.result(&panicking, WAIT).await.unwrap();
    assert_eq!(panic.error_type(), Some("Function.Panic"));
    let message = panic.error_message().unwrap();
    assert!(
        message.contains("the function was told to panic"),
        "{message}"
    );
    assert!(
        message.contains("aws_lambda.rs:"),
        "location missing: {message}"
    );

    let bad = emulator.result(&malformed, WAIT).await.unwrap();
    assert_eq!(bad.error_type(), Some("Runtime.MalformedEvent"));
    let message = bad.error_message().unwrap();
    assert!(message.contains("column"), "{message}");

    assert!(!emulator.result(&fine, WAIT).await.unwrap().is_error());
    for id in [&failing, &panicking, &malformed, &fine] {
        assert_eq!(emulator.answers_for(id), 1, "answers for {id}");
    }
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn ten_thousand_invocations_get_exactly_one_answer_each() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let (shutdown, task) = start(env_for(&emulator, &[]), vec![], moody);
    let ids: Vec<String> = (0..10_000)
        .map(|n| {
            let event = match n % 100 {
                0 => json!({"do": "fail", "n": "x"}),
                1 => json!({"do": "panic"}),
                _ => json!({"n": n}),
            };
            emulator.push(Event::json(event))
        })
        .collect();
    assert!(
        emulator
            .wait_results(10_000, Duration::from_secs(120))
            .await,
        "all answered"
    );
    for id in &ids {
        assert_eq!(emulator.answers_for(id), 1, "answers for {id}");
    }
    let errors = emulator.count("/error");
    assert_eq!(errors, 200);
    assert_eq!(emulator.count("/response"), 9_800);
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn a_failing_function_start_posts_init_error_and_fails() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let shutdown = CancellationToken::new();
    let result = Runtime::builder()
        .with_environment(env_for(&emulator, &[]))
        .on_function_start(|| async { Err::<(), _>(Error::msg("cannot load the model")) })
        .run_until(echo, shutdown)
        .await;
    let error = result.expect_err("init must fail");
    assert!(error.is_init());
    assert!(
        error.to_string().contains("cannot load the model"),
        "{error}"
    );
    let init = emulator
        .wait_init_error(WAIT)
        .await
        .expect("init/error posted");
    let body = init.body_json().unwrap();
    assert_eq!(body["errorType"], "Runtime.InitError");
    assert!(body["errorMessage"]
        .as_str()
        .unwrap()
        .contains("cannot load the model"));
    assert_eq!(
        emulator.count("/invocation/next"),
        0,
        "no event is asked for after init fails"
    );
}

#[tokio::test]
async fn a_failing_runtime_start_hook_posts_init_error() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let shutdown = CancellationToken::new();
    let result = Runtime::builder()
        .with_environment(env_for(&emulator, &[]))
        .hook(RecordingHook::new("config").fail_at(Phase::RuntimeStart))
        .run_until(echo, shutdown)
        .await;
    assert_eq!(result.unwrap_err().init_phase(), Some(Phase::RuntimeStart));
    let init = emulator
        .wait_init_error(WAIT)
        .await
        .expect("init/error posted");
    assert!(init.body_json().unwrap()["errorMessage"]
        .as_str()
        .unwrap()
        .contains("`config`"));
}

#[tokio::test]
async fn an_unreachable_runtime_api_fails_with_a_message_naming_the_variable() {
    // Bind then drop a listener: the port is free and refuses connections.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = Environment::from_vars([("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))]);
    let result = tokio::time::timeout(
        WAIT,
        Runtime::builder()
            .with_environment(env)
            .run_until(echo, CancellationToken::new()),
    )
    .await
    .expect("gives up in bounded time");
    let error = result.unwrap_err();
    assert!(error.is_platform());
    let message = error.to_string();
    assert!(
        message.contains("AWS_LAMBDA_RUNTIME_API=127.0.0.1:"),
        "{message}"
    );
    assert!(message.contains("attempts"), "{message}");
}

#[tokio::test]
async fn a_runtime_api_answering_5xx_is_retried_with_backoff() {
    let emulator = LambdaEmulator::start().await.unwrap();
    emulator.fail_next_calls(2, 500);
    let (shutdown, task) = start(env_for(&emulator, &[]), vec![], echo);
    let id = emulator.push(Event::json(json!({"after": "retries"})));
    let result = emulator
        .result(&id, WAIT)
        .await
        .expect("answered after the retries");
    assert_eq!(result.body_json().unwrap(), json!({"after": "retries"}));
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn the_shutdown_extension_is_registered_and_its_refusal_is_survived() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let (shutdown, task) = start(env_for(&emulator, &[]), vec![], echo);
    let id = emulator.push(Event::json(json!(1)));
    emulator.result(&id, WAIT).await.unwrap();
    assert_eq!(emulator.extensions(), ["light-runtime-shutdown"]);
    stop_runtime(&shutdown, task).await;

    let refusing = LambdaEmulator::start().await.unwrap();
    refusing.refuse_extensions(true);
    let (shutdown, task) = start(env_for(&refusing, &[]), vec![], echo);
    let id = refusing.push(Event::json(json!(2)));
    assert_eq!(
        refusing
            .result(&id, WAIT)
            .await
            .unwrap()
            .body_json()
            .unwrap(),
        json!(2)
    );
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn managed_instances_serve_max_concurrency_invocations_at_once() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let handler = {
        let (in_flight, peak, barrier) = (in_flight.clone(), peak.clone(), barrier.clone());
        move |event: Value, _ctx: Context| {
            let (in_flight, peak, barrier) = (in_flight.clone(), peak.clone(), barrier.clone());
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // The first four wait for each other: only possible if four
                // invocations are in flight together.
                if event["wave"] == 1 {
                    tokio::time::timeout(WAIT, barrier.wait())
                        .await
                        .map_err(Error::from)?;
                }
                in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, Error>(event)
            }
        }
    };
    let (shutdown, task) = start(
        env_for(&emulator, &[("AWS_LAMBDA_MAX_CONCURRENCY", "4".into())]),
        vec![],
        handler,
    );
    assert!(
        emulator.wait_next_waiting(4, WAIT).await,
        "four workers poll `next` at once"
    );
    let ids: Vec<String> = (0..4)
        .map(|_| emulator.push(Event::json(json!({"wave": 1}))))
        .collect();
    let more: Vec<String> = (0..40)
        .map(|n| emulator.push(Event::json(json!({"wave": 2, "n": n}))))
        .collect();
    assert!(emulator.wait_results(44, WAIT).await);
    for id in ids.iter().chain(&more) {
        let result = emulator.result(id, WAIT).await.unwrap();
        assert!(!result.is_error(), "{id}: {:?}", result.error_message());
        assert_eq!(emulator.answers_for(id), 1);
    }
    assert_eq!(emulator.max_in_flight(), 4);
    assert_eq!(peak.load(Ordering::SeqCst), 4);
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn hooks_see_every_phase_in_onion_order() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let outer = RecordingHook::new("outer");
    let inner = RecordingHook::with_log("inner", outer.shared_log().clone());
    let (shutdown, task) = start(env_for(&emulator, &[]), vec![outer.clone(), inner], echo);
    let id = emulator.push(Event::json(json!(1)));
    emulator.result(&id, WAIT).await.unwrap();
    // The runtime froze and went back to `next` before we stop it.
    assert!(emulator.wait_next_waiting(1, WAIT).await);
    stop_runtime(&shutdown, task).await;
    use Phase::*;
    outer.shared_log().assert_sequence(&[
        ("outer", RuntimeStart),
        ("inner", RuntimeStart),
        ("outer", FunctionStart),
        ("inner", FunctionStart),
        ("inner", Freeze),
        ("outer", Freeze),
        ("outer", BeforeInvoke),
        ("inner", BeforeInvoke),
        ("inner", AfterInvoke),
        ("outer", AfterInvoke),
        ("inner", AfterResponse),
        ("outer", AfterResponse),
        ("inner", Freeze),
        ("outer", Freeze),
        ("inner", Close),
        ("outer", Close),
        ("inner", End),
        ("outer", End),
    ]);
}

#[tokio::test]
async fn a_tower_service_is_a_handler_too() {
    use light_runtime::{BoxError, Invocation, Response};
    let emulator = LambdaEmulator::start().await.unwrap();
    let service = tower::service_fn(|invocation: Invocation| async move {
        let mut body = invocation.payload.to_vec();
        body.reverse();
        Ok::<_, BoxError>(Response::with_content_type(body, "text/plain"))
    });
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env_for(&emulator, &[]))
            .run_until(service, shutdown.clone()),
    );
    let id = emulator.push(Event::raw(&b"abc"[..]));
    let result = emulator.result(&id, WAIT).await.unwrap();
    assert_eq!(result.response_body().unwrap().as_ref(), b"cba");
    let call = emulator
        .calls()
        .into_iter()
        .find(|c| c.path.ends_with(&format!("{id}/response")))
        .unwrap();
    assert_eq!(call.header("content-type"), Some("text/plain"));
    stop_runtime(&shutdown, task).await;
}

/// cargo-lambda's `watch` hands the runtime a URL with a scheme and a base
/// path (`http://127.0.0.1:9000/.rt`); every call, the extension's too,
/// goes under it. The emulator serves only under the base, so a call that
/// left it out would find nothing (404).
#[tokio::test]
async fn a_runtime_api_url_with_a_base_path_as_cargo_lambda_sets_it() {
    let emulator = LambdaEmulator::builder()
        .base_path("/.rt")
        .start()
        .await
        .unwrap();
    assert!(emulator.runtime_api().starts_with("http://127.0.0.1:"));
    assert!(emulator.runtime_api().ends_with("/.rt"));
    let (shutdown, task) = start(env_for(&emulator, &[]), vec![], moody);
    let id = emulator.push(Event::json(json!({"name": "Ada"})));
    let result = emulator.result(&id, WAIT).await.expect("an answer");
    assert!(!result.is_error(), "{result:?}");
    let failing = emulator.push(Event::json(json!({"do": "fail"})));
    let error = emulator.result(&failing, WAIT).await.expect("an answer");
    assert!(error.is_error(), "{error:?}");
    assert_eq!(emulator.extensions(), ["light-runtime-shutdown"]);
    stop_runtime(&shutdown, task).await;

    // Init errors go under the base path too.
    let emulator = LambdaEmulator::builder()
        .base_path("/.rt")
        .start()
        .await
        .unwrap();
    let result = Runtime::builder()
        .with_environment(env_for(&emulator, &[]))
        .on_function_start(|| async { Err::<(), _>(Error::msg("no model")) })
        .run_until(echo, CancellationToken::new())
        .await;
    assert!(result.unwrap_err().is_init());
    let init = emulator
        .wait_init_error(WAIT)
        .await
        .expect("init/error posted");
    assert_eq!(init.body_json().unwrap()["errorType"], "Runtime.InitError");
}

#[tokio::test]
async fn a_runtime_api_value_that_cannot_be_used_is_an_init_error_naming_it() {
    for (value, says) in [
        ("https://127.0.0.1:9001", "scheme `https`"),
        ("127.0.0.1", "`host:port`"),
    ] {
        let env = Environment::from_vars([("AWS_LAMBDA_RUNTIME_API", value)]);
        let result = tokio::time::timeout(
            WAIT,
            Runtime::builder()
                .with_environment(env)
                .run_until(echo, CancellationToken::new()),
        )
        .await
        .expect("the runtime stops at once");
        let error = result.expect_err("a bad address must fail").to_string();
        assert!(error.contains("AWS_LAMBDA_RUNTIME_API"), "{error}");
        assert!(error.contains(says), "{value}: {error}");
    }
}
