//! The cases every platform runs, generic over its [`Target`].

use std::time::Duration;

use bytes::Bytes;
use light_runtime::Phase;
use light_runtime_testkit::recording::RecordingHook;
use serde_json::{json, Value};

use crate::harness::{Answer, Start, Target, TIMEOUT};

fn event(value: Value) -> Bytes {
    Bytes::from(value.to_string())
}

pub(crate) async fn echo<T: Target>() {
    let target = T::start(Start::default()).await;
    let sent = json!({"hello": "world", "n": [1, 2, 3]});
    assert_eq!(target.invoke(event(sent.clone())).await, Answer::Ok(sent));
    target.stop().await.expect("orderly stop");
}

pub(crate) async fn handler_error<T: Target>() {
    let target = T::start(Start::default()).await;
    let message = target
        .invoke(event(json!({"do": "fail", "n": "forty-two"})))
        .await
        .expect_error("ParseIntError");
    assert!(message.contains("invalid digit"), "{message}");
    target.stop().await.expect("orderly stop");
}

pub(crate) async fn panic<T: Target>() {
    let target = T::start(Start::default()).await;
    let message = target
        .invoke(event(json!({"do": "panic"})))
        .await
        .expect_error("Function.Panic");
    assert!(
        message.contains("the function was told to panic"),
        "{message}"
    );
    // The instance goes on after a panic.
    assert_eq!(target.invoke(event(json!(7))).await, Answer::Ok(json!(7)));
    target.stop().await.expect("orderly stop");
}

pub(crate) async fn malformed_event<T: Target>() {
    let target = T::start(Start::default()).await;
    let message = target
        .invoke(Bytes::from_static(b"{\"do\": tru}"))
        .await
        .expect_error("Runtime.MalformedEvent");
    assert!(message.contains("column"), "{message}");
    target.stop().await.expect("orderly stop");
}

pub(crate) async fn timeout<T: Target>() {
    let target = T::start(Start::default()).await;
    let started = std::time::Instant::now();
    let message = target
        .invoke(event(
            json!({"do": "sleep", "ms": 10_000, "key": "timeout"}),
        ))
        .await
        .expect_error("Function.Timeout");
    assert!(message.contains("timed out"), "{message}");
    assert!(
        started.elapsed() < TIMEOUT + Duration::from_millis(900),
        "answered near the deadline"
    );
    target.stop().await.expect("orderly stop");
}

pub(crate) async fn failing_function_start<T: Target>() {
    let error = T::failing_function_start().await;
    assert!(error.is_init(), "{error}");
    assert!(
        error.to_string().contains("cannot load the model"),
        "{error}"
    );
}

pub(crate) async fn shutdown_mid_invocation<T: Target>() {
    let hook = RecordingHook::new("recorder");
    let target = T::start(Start {
        hooks: vec![hook.clone()],
        ..Start::default()
    })
    .await;
    let key = format!("shutdown-{}", std::any::type_name::<T>());
    let (answer, result) = target
        .shutdown_during(event(json!({"do": "sleep", "ms": 300, "key": key})), &key)
        .await;
    assert_eq!(
        answer,
        Answer::Ok(json!({"slept": true})),
        "the in-flight invocation finished"
    );
    result.expect("orderly shutdown");
    let phases = hook.phases();
    assert_eq!(
        &phases[phases.len() - 2..],
        &[Phase::Close, Phase::End],
        "{phases:?}"
    );
    let after = phases
        .iter()
        .position(|p| *p == Phase::AfterResponse)
        .expect("AfterResponse ran");
    assert!(
        after < phases.len() - 2,
        "AfterResponse before Close: {phases:?}"
    );
}

pub(crate) async fn hook_order<T: Target>() {
    let outer = RecordingHook::new("outer");
    let inner = RecordingHook::with_log("inner", outer.shared_log().clone());
    let target = T::start(Start {
        hooks: vec![outer.clone(), inner],
        ..Start::default()
    })
    .await;
    assert_eq!(target.invoke(event(json!(1))).await, Answer::Ok(json!(1)));
    target.settle(outer.shared_log()).await;
    target.stop().await.expect("orderly stop");
    let mut expected = Vec::new();
    for phase in T::one_invocation_phases() {
        let onion_out = matches!(
            phase,
            Phase::RuntimeStart | Phase::FunctionStart | Phase::BeforeInvoke
        );
        let order = if onion_out {
            ["outer", "inner"]
        } else {
            ["inner", "outer"]
        };
        expected.extend(order.map(|hook| (hook, phase)));
    }
    outer.shared_log().assert_sequence(&expected);
}

pub(crate) async fn ten_thousand<T: Target>() {
    let target = T::start(Start::default()).await;
    let events: Vec<Bytes> = (0..10_000)
        .map(|n| match n % 100 {
            0 => event(json!({"do": "fail", "n": "x"})),
            1 => event(json!({"do": "panic"})),
            _ => event(json!({"n": n})),
        })
        .collect();
    let answers = target.invoke_many(events).await;
    assert_eq!(answers.len(), 10_000);
    let mut errors = 0;
    for (n, (answer, count)) in answers.iter().enumerate() {
        assert_eq!(*count, 1, "invocation {n} got {count} answers");
        match answer {
            Answer::Ok(value) => assert_eq!(value["n"], n, "invocation {n}"),
            Answer::Err { .. } => errors += 1,
        }
    }
    assert_eq!(errors, 200);
    target.stop().await.expect("orderly stop");
}

pub(crate) async fn concurrency<T: Target>() {
    let target = T::start(Start {
        concurrency: Some(4),
        ..Start::default()
    })
    .await;
    let key = format!("gather-{}", std::any::type_name::<T>());
    let events = (0..4)
        .map(|_| event(json!({"do": "gather", "key": key, "n": 4})))
        .collect();
    // Four invocations can only pass a barrier of four if all are in flight at once.
    for (answer, count) in target.invoke_many(events).await {
        assert_eq!(answer, Answer::Ok(json!({"gathered": 4})));
        assert_eq!(count, 1);
    }
    target.stop().await.expect("orderly stop");
}
