//! Preload initialisers at FunctionStart, as the handler and the platform
//! see them: values in the context, durations in the timings, failures as
//! init errors that name the initialiser.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use light_runtime::engine::{CancellationToken, Ending};
use light_runtime::layers::preload::{self, Preload};
use light_runtime::{Context, Environment, Error, Hook, Phase, Runtime, TimingsReport};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Config(&'static str);
#[derive(Debug)]
struct Pool(u32);

/// Keeps the timings `End` is told.
#[derive(Clone, Default)]
struct LastTimings(Arc<Mutex<Option<TimingsReport>>>);

impl Hook for LastTimings {
    fn on_end(&self, ending: &Ending) {
        *self.0.lock().unwrap() = Some(ending.timings.clone());
    }
}

fn env_for(emulator: &LambdaEmulator) -> Environment {
    Environment::from_vars([
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
    ])
}

async fn handler(_event: Value, ctx: Context) -> Result<Value, Error> {
    let config =
        preload::get::<Config>(&ctx).ok_or_else(|| Error::msg("config was not preloaded"))?;
    let pool = preload::get::<Pool>(&ctx).ok_or_else(|| Error::msg("pool was not preloaded"))?;
    Ok(json!({ "config": config.0, "pool": pool.0 }))
}

#[tokio::test]
async fn values_reach_handlers_and_durations_reach_the_timings() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let timings = LastTimings::default();
    let mut preload = Preload::new().resource("config", Duration::from_secs(2), || async {
        Ok::<_, Error>(Config("loaded"))
    });
    let pool = preload.register("pool", Duration::from_secs(2), || async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        Ok::<_, Error>(Pool(8))
    });
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(env_for(&emulator))
            .hook(timings.clone())
            .lifecycle_layer(preload)
            .run_until(handler, shutdown.clone()),
    );
    let id = emulator.push(Event::json(json!({})));
    let result = emulator.result(&id, WAIT).await.expect("an answer");
    assert_eq!(
        result.body_json().unwrap(),
        json!({"config": "loaded", "pool": 8})
    );
    assert_eq!(pool.get().map(|p| p.0), Some(8));
    light_runtime_testkit::stop_runtime(&shutdown, task).await;

    let report = timings.0.lock().unwrap().clone().expect("End ran");
    let phase = report.phase(Phase::FunctionStart);
    let config = phase.step("preload:config").expect("config's time");
    let pool = phase.step("preload:pool").expect("pool's time");
    assert_eq!((config.count, pool.count), (1, 1));
    assert!(pool.total >= Duration::from_millis(30));
}

#[tokio::test]
async fn a_failing_or_slow_initialiser_is_an_init_error_naming_it() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let preload = Preload::new()
        .resource("config", Duration::from_secs(2), || async {
            Err::<Config, _>(std::io::Error::other("the parameter store said 403"))
        })
        .resource("pool", Duration::from_millis(20), || async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok::<_, Error>(Pool(1))
        });
    let result = tokio::time::timeout(
        WAIT,
        Runtime::builder()
            .with_environment(env_for(&emulator))
            .lifecycle_layer(preload)
            .run_until(handler, CancellationToken::new()),
    )
    .await
    .expect("init fails fast");
    let error = result.expect_err("init fails");
    assert!(error.is_init());
    let reported = emulator
        .wait_init_error(WAIT)
        .await
        .expect("reported to /init/error");
    let body = String::from_utf8_lossy(&reported.body).into_owned();
    for text in [
        "preload `config` failed: the parameter store said 403",
        "preload `pool` did not finish within its 20 ms timeout",
    ] {
        assert!(error.to_string().contains(text), "{error}");
        assert!(body.contains(text), "{body}");
    }
}
