//! The child's environment: Lambda's, whatever platform we are on.
//!
//! The child is told where our Runtime API is and the function variables a
//! Lambda runtime reads (reference 1.3), and the variables that would make
//! a light-runtime child believe it serves another platform itself are
//! taken away, so it talks to us.

use std::ffi::OsString;
use std::net::SocketAddr;

use light_runtime_adapters::{Sign, PLATFORMS, PLATFORM_VAR};
use runtime_engine::FunctionInfo;

use crate::child::ChildCommand;

/// Lambda's default memory size, in MB, for platforms that do not say.
const DEFAULT_MEMORY_MB: u32 = 128;

/// Where a child finds our Runtime API.
pub(crate) const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

/// `command` with the environment of a Lambda runtime for `function`,
/// whose Runtime API is at `api`. `var` reads our own environment.
pub(crate) fn lambda_environment(
    command: ChildCommand,
    function: &FunctionInfo,
    api: SocketAddr,
    concurrency: Option<usize>,
    var: impl Fn(&str) -> Option<OsString>,
) -> ChildCommand {
    let mut command = command;
    for known in PLATFORMS {
        for sign in known.signs.iter().chain(known.fallback_signs) {
            match sign {
                Sign::Set(name) | Sign::Equals(name, _) => {
                    command = command.env_remove(*name);
                }
                Sign::Always => {}
            }
        }
    }
    command = command
        .without_runtime_config()
        .env_remove(PLATFORM_VAR)
        .env(RUNTIME_API_VAR, api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", &*function.name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", &*function.version);
    // Lambda always sets the memory size and clients count on it
    // (`lambda_runtime` panics without it): where the platform does not
    // say, Lambda's default.
    let memory = function.memory_mb.unwrap_or(DEFAULT_MEMORY_MB);
    command = command.env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.to_string());
    if let Some(group) = &function.log_group {
        command = command.env("AWS_LAMBDA_LOG_GROUP_NAME", &**group);
    }
    if let Some(stream) = &function.log_stream {
        command = command.env("AWS_LAMBDA_LOG_STREAM_NAME", &**stream);
    }
    if let Some(region) = &function.region {
        command = command.env("AWS_REGION", &**region);
        if var("AWS_DEFAULT_REGION").is_none() {
            command = command.env("AWS_DEFAULT_REGION", &**region);
        }
    }
    // The platform's own handler setting, for runtimes that pick the
    // function by it (awslambdaric takes its handler argument, Node's
    // and Java's clients read `_HANDLER`).
    let handler = var("_HANDLER")
        .or_else(|| var("FC_FUNCTION_HANDLER"))
        .or_else(|| function.handler.as_deref().map(OsString::from));
    if let Some(handler) = handler {
        command = command.env("_HANDLER", handler);
    }
    if var("LAMBDA_TASK_ROOT").is_none() {
        if let Ok(here) = std::env::current_dir() {
            command = command.env("LAMBDA_TASK_ROOT", here);
        }
    }
    if let Some(concurrency) = concurrency {
        command = command.env("AWS_LAMBDA_MAX_CONCURRENCY", concurrency.to_string());
    }
    command
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use runtime_engine::Platform;

    use super::*;

    /// Runs `checks` (one shell test per line) in the child's environment;
    /// the exit status is the number of the first failing line.
    async fn run_checks(function: &FunctionInfo, ours: &[(&str, &str)], checks: &[&str]) -> String {
        let script: String = checks
            .iter()
            .enumerate()
            .map(|(n, check)| format!("{check} || exit {}\n", n + 1))
            .collect();
        let command = ChildCommand::new(&["sh".into(), "-c".into(), script.into()]).unwrap();
        let ours: Vec<(String, OsString)> = ours
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        let var = |name: &str| ours.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let address: SocketAddr = "127.0.0.1:9009".parse().unwrap();
        let child = lambda_environment(command, function, address, Some(4), var)
            .spawn()
            .unwrap();
        let exit = tokio::time::timeout(Duration::from_secs(10), child.exited())
            .await
            .unwrap();
        exit.to_string()
    }

    #[tokio::test]
    async fn the_child_gets_lambdas_variables_and_loses_the_platforms() {
        std::env::set_var("SCF_RUNTIME_API", "127.0.0.1");
        std::env::set_var(PLATFORM_VAR, "scf");
        // What the proxy runs itself, from a layer: not run again by a
        // light-runtime child.
        std::env::set_var(
            "LIGHT_RUNTIME_PLUGINS",
            "/opt/light-runtime/plugins/libaudit.so",
        );
        std::env::set_var("LIGHT_RUNTIME_LAYER_DIR", "/opt");
        std::env::set_var("LIGHT_RUNTIME_LAYERS", "logging");
        let function = FunctionInfo::new(Platform::TencentScf, "orders")
            .with_version("7")
            .with_region(Some("ap-guangzhou"));
        let exit = run_checks(
            &function,
            &[("FC_FUNCTION_HANDLER", "index.handler")],
            &[
                r#"[ "$AWS_LAMBDA_RUNTIME_API" = 127.0.0.1:9009 ]"#,
                r#"[ "$AWS_LAMBDA_FUNCTION_NAME" = orders ]"#,
                r#"[ "$AWS_LAMBDA_FUNCTION_VERSION" = 7 ]"#,
                r#"[ "$AWS_LAMBDA_FUNCTION_MEMORY_SIZE" = 128 ]"#,
                r#"[ "$AWS_REGION" = ap-guangzhou ]"#,
                r#"[ "$_HANDLER" = index.handler ]"#,
                r#"[ "$AWS_LAMBDA_MAX_CONCURRENCY" = 4 ]"#,
                r#"[ -n "$LAMBDA_TASK_ROOT" ]"#,
                r#"[ -z "$SCF_RUNTIME_API" ]"#,
                r#"[ -z "$LIGHT_RUNTIME_PLATFORM" ]"#,
                r#"[ "${LIGHT_RUNTIME_PLUGINS-unset}" = "" ]"#,
                r#"[ -z "${LIGHT_RUNTIME_LAYER_DIR+set}" ]"#,
                r#"[ -z "${LIGHT_RUNTIME_LAYERS+set}" ]"#,
            ],
        )
        .await;
        assert_eq!(exit, "exit status 0", "the numbered check failed");
    }
}
