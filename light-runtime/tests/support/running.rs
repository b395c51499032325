//! A runtime with plugins against the Lambda emulator, for the plugin tests.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use light_runtime::engine::{CancellationToken, Ending};
use light_runtime::plugins::{PluginEntry, PluginsFile};
use light_runtime::{Context, Environment, Error, Hook, Runtime, TimingsReport};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::{json, Value};

pub const WAIT: Duration = Duration::from_secs(20);
pub const XRAY: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

/// Writes a `light-runtime.toml` listing `plugins` (file, JSON config) in order.
pub fn write_config(dir: &Path, plugins: &[(PathBuf, Value)]) -> PathBuf {
    let file = PluginsFile {
        plugins: plugins
            .iter()
            .map(|(path, config)| PluginEntry {
                path: path.display().to_string(),
                config: (!config.is_null()).then(|| toml::Value::try_from(config).unwrap()),
            })
            .collect(),
    };
    let path = dir.join("light-runtime.toml");
    std::fs::write(&path, toml::to_string(&file).unwrap()).unwrap();
    path
}

pub fn env_for(emulator: &LambdaEmulator, extra: &[(&str, String)]) -> Environment {
    let mut vars = vec![
        ("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), "orders".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION".to_owned(), "7".to_owned()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".to_owned(),
            "256".to_owned(),
        ),
        ("AWS_REGION".to_owned(), "eu-west-1".to_owned()),
    ];
    vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    Environment::from_vars(vars)
}

/// Keeps the timings the runtime hands to `End`.
#[derive(Clone, Default)]
pub struct KeepTimings(Arc<Mutex<Option<TimingsReport>>>);

impl Hook for KeepTimings {
    fn on_end(&self, ending: &Ending) {
        *self.0.lock().unwrap() = Some(ending.timings.clone());
    }
}

pub async fn echo(event: Value, _ctx: Context) -> Result<Value, Error> {
    if event == json!("ping") {
        return Err(Error::msg("the handler must not see a ping"));
    }
    Ok(event)
}

/// A runtime with the plugins `env` configures, serving `echo` until stopped.
pub struct Running {
    pub emulator: LambdaEmulator,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), light_runtime::RuntimeError>>,
    timings: KeepTimings,
}

pub async fn start(extra: &[(&str, String)]) -> Running {
    let emulator = LambdaEmulator::start().await.unwrap();
    let shutdown = CancellationToken::new();
    let timings = KeepTimings::default();
    let runtime = Runtime::builder()
        .with_environment(env_for(&emulator, extra))
        .hook(timings.clone());
    let task = tokio::spawn(runtime.run_until(echo, shutdown.clone()));
    Running {
        emulator,
        shutdown,
        task,
        timings,
    }
}

impl Running {
    pub async fn invoke(&self, event: Event) -> (String, light_runtime_testkit::InvocationResult) {
        let id = self.emulator.push(event);
        let result = self.emulator.result(&id, WAIT).await.expect("an answer");
        (id, result)
    }

    /// Waits until the runtime is idle in `next`, then shuts it down.
    pub async fn stop(self) -> TimingsReport {
        assert!(
            self.emulator.wait_next_waiting(1, WAIT).await,
            "runtime idle"
        );
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("runtime stops")
            .unwrap()
            .expect("orderly shutdown");
        self.timings.0.lock().unwrap().take().expect("End ran")
    }
}

pub fn lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `(label, phase)` of each probe line.
pub fn phases(log: &Path) -> Vec<String> {
    lines(log)
        .iter()
        .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
        .collect()
}
