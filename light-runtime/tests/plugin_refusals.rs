//! Every reason a plugin is refused, each with a message naming the file
//! and the reason; and a refusal reaching the platform as an init error.

mod support;

use std::path::Path;
use std::time::Duration;

use light_runtime::engine::{plugin, CancellationToken};
use light_runtime::{Context, Environment, Error, Phase, Runtime};
use light_runtime_testkit::lambda::LambdaEmulator;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);

fn refusal(path: &Path, config: &str) -> (plugin::PluginError, String) {
    let error = plugin::load(path, config).expect_err("the plugin must be refused");
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "names the file: {message}"
    );
    (error, message)
}

#[test]
fn a_relative_path_is_refused() {
    let (error, message) = refusal(Path::new("plugins/libprobe.so"), "");
    assert!(error.is_relative());
    assert!(message.contains("the path is relative"), "{message}");
}

#[test]
fn a_missing_file_is_refused() {
    let dir = support::private_dir();
    let (error, message) = refusal(&dir.path().join("libnothere.so"), "");
    assert!(error.is_missing());
    assert!(message.contains("there is no such file"), "{message}");
}

#[test]
fn a_library_without_the_entry_symbol_is_refused() {
    let dir = support::private_dir();
    let source = dir.path().join("not_a_plugin.c");
    std::fs::write(&source, "int not_a_plugin(void) { return 42; }\n").unwrap();
    let Some(library) = support::compile_c(&source, &dir.path().join("libnot.so"), &[]) else {
        return;
    };
    let (error, message) = refusal(&library, "");
    assert!(error.is_missing_symbol());
    assert!(
        message.contains("exports no `light_runtime_plugin` symbol"),
        "{message}"
    );
}

#[test]
fn a_plugin_for_another_abi_version_is_refused() {
    let dir = support::private_dir();
    let source = support::workspace_root().join("plugins/c-envelope/envelope.c");
    let out = dir.path().join("libenvelope99.so");
    let Some(library) = support::compile_c(&source, &out, &["-DENVELOPE_ABI_VERSION=99"]) else {
        return;
    };
    let (error, message) = refusal(&library, "");
    assert!(error.is_abi_mismatch());
    assert!(
        message.contains(&format!(
            "built for plugin ABI version 99, but this runtime speaks version {}",
            plugin::abi::ABI_VERSION
        )),
        "{message}"
    );
}

#[test]
fn a_file_writable_by_others_is_refused() {
    let dir = support::private_dir();
    let copy = support::copy_into(&support::rust_plugin("noop"), dir.path());
    support::set_mode(&copy, 0o777);
    let (error, message) = refusal(&copy, "");
    assert!(error.is_writable_by_others());
    assert!(
        message.contains(&format!(
            "the file {} is writable by others",
            copy.display()
        )),
        "{message}"
    );
}

#[test]
fn a_folder_writable_by_others_is_refused() {
    let dir = support::private_dir();
    let copy = support::copy_into(&support::rust_plugin("noop"), dir.path());
    support::set_mode(dir.path(), 0o777);
    let (error, message) = refusal(&copy, "");
    assert!(error.is_writable_by_others());
    let folder = dir.path().display().to_string();
    assert!(
        message.contains(&format!("the folder {folder} is writable by others")),
        "{message}"
    );
    support::set_mode(dir.path(), 0o755);
}

#[test]
fn a_plugin_whose_create_fails_is_refused_naming_it() {
    let probe = support::rust_plugin("probe");
    let (error, message) = refusal(&probe, "{\"nonsense\": true}");
    assert!(error.is_create_failed());
    assert!(message.starts_with("plugin `probe` ("), "{message}");
    assert!(message.contains("probe: bad configuration"), "{message}");
}

#[test]
fn a_good_plugin_loads() {
    let dir = support::private_dir();
    let copy = support::copy_into(&support::rust_plugin("noop"), dir.path());
    let hook = plugin::load(&copy, "").expect("a good plugin loads");
    assert_eq!(light_runtime::Hook::name(&hook), "noop");
    assert_eq!(hook.path(), copy);
}

async fn echo(event: Value, _ctx: Context) -> Result<Value, Error> {
    Ok(event)
}

/// Runs a runtime with `vars` against a fresh emulator; returns the init
/// error message posted to the platform.
async fn init_error(vars: Vec<(&str, String)>) -> String {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut vars = vars;
    vars.push(("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()));
    let result = Runtime::builder()
        .with_environment(Environment::from_vars(vars))
        .run_until(echo, CancellationToken::new());
    let error = tokio::time::timeout(WAIT, result)
        .await
        .unwrap()
        .expect_err("init must fail");
    assert_eq!(error.init_phase(), Some(Phase::RuntimeStart), "{error}");
    let init = emulator
        .wait_init_error(WAIT)
        .await
        .expect("init/error posted");
    assert_eq!(
        emulator.count("/invocation/next"),
        0,
        "no event after a refusal"
    );
    let body = init.body_json().unwrap();
    assert_eq!(body["errorType"], "Runtime.InitError");
    body["errorMessage"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_refused_plugin_is_reported_to_the_platform_as_an_init_error() {
    let message = init_error(vec![(
        "LIGHT_RUNTIME_PLUGINS",
        "plugins/libaudit.so".into(),
    )])
    .await;
    assert!(message.contains("hook `plugins` failed"), "{message}");
    assert!(
        message.contains("plugin plugins/libaudit.so refused: the path is relative"),
        "{message}"
    );
    assert!(
        message.contains("listed in the LIGHT_RUNTIME_PLUGINS environment variable"),
        "{message}"
    );
}

#[tokio::test]
async fn config_file_problems_are_init_errors_naming_the_file() {
    let dir = support::private_dir();
    let missing = dir.path().join("nope.toml");
    let message = init_error(vec![(
        "LIGHT_RUNTIME_PLUGINS_CONFIG",
        missing.display().to_string(),
    )])
    .await;
    assert!(
        message.contains(&format!(
            "plugin config file {} cannot be read",
            missing.display()
        )),
        "{message}"
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[plugins]]\npaht = \"/x.so\"\n").unwrap();
    let message = init_error(vec![(
        "LIGHT_RUNTIME_PLUGINS_CONFIG",
        bad.display().to_string(),
    )])
    .await;
    assert!(
        message.contains(&format!(
            "plugin config file {} is not valid",
            bad.display()
        )),
        "{message}"
    );
    assert!(message.contains("paht"), "{message}");

    let open = dir.path().join("open.toml");
    std::fs::write(&open, "plugins = []\n").unwrap();
    support::set_mode(&open, 0o666);
    let message = init_error(vec![(
        "LIGHT_RUNTIME_PLUGINS_CONFIG",
        open.display().to_string(),
    )])
    .await;
    assert!(message.contains("is writable by others"), "{message}");
}

#[test]
fn the_code_folder_config_wins_over_the_layer_one_and_config_dir_expands() {
    use light_runtime::plugins::configured;
    let code = support::private_dir();
    let layer = support::private_dir();
    std::fs::write(
        code.path().join("light-runtime.toml"),
        "[[plugins]]\npath = \"{config_dir}/a.so\"\n",
    )
    .unwrap();
    std::fs::write(
        layer.path().join("light-runtime.toml"),
        "[[plugins]]\npath = \"/b.so\"\n",
    )
    .unwrap();
    let env = |vars: Vec<(&str, String)>| Environment::from_vars(vars);
    let layer_dir = (
        "LIGHT_RUNTIME_LAYER_DIR",
        layer.path().display().to_string(),
    );
    let both = configured(&env(vec![
        ("LAMBDA_TASK_ROOT", code.path().display().to_string()),
        layer_dir.clone(),
    ]))
    .unwrap();
    assert_eq!(both.len(), 1);
    assert_eq!(both[0].path, code.path().join("a.so"));
    let layer_only = configured(&env(vec![layer_dir.clone()])).unwrap();
    assert_eq!(layer_only[0].path, Path::new("/b.so"));
    let variable = configured(&env(vec![
        layer_dir,
        ("LIGHT_RUNTIME_PLUGINS", "/x.so::/y.so".into()),
    ]))
    .unwrap();
    let paths: Vec<_> = variable.iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        paths,
        [Path::new("/x.so"), Path::new("/y.so")],
        "the variable wins, in order"
    );
}
