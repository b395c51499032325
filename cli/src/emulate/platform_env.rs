//! The environment each platform gives a function (reference 1.3, 2.10,
//! 3.3, 4.3): where its API or port is, the function's name, memory,
//! version and region, its handler, and the platform's marks.
//!
//! The function also inherits `emulate`'s own environment (`PATH`, `HOME`,
//! credentials the developer exported), as a local run needs, minus every
//! variable by which a light-runtime function would detect another platform.

use light_runtime_adapters::{Sign, PLATFORMS, PLATFORM_VAR};

use super::spec::{EmulatedPlatform, EmulationSpec};
use crate::child::ChildCommand;

/// Where the platform is, for the function.
#[derive(Debug, Clone)]
pub(crate) enum Wiring {
    /// AWS: `AWS_LAMBDA_RUNTIME_API` (`host:port`).
    RuntimeApi(String),
    /// SCF: `SCF_RUNTIME_API` host and `SCF_RUNTIME_API_PORT`.
    ScfApi(String, u16),
    /// FC, SCF web, HTTP: the port the function listens on.
    Port(u16),
}

/// Region, account and instance values the emulated platform reports.
const AWS_REGION: &str = "us-east-1";
const AWS_ACCOUNT: &str = "123456789012";
const FC_REGION: &str = "cn-hangzhou";
const FC_ACCOUNT: &str = "1234567890123456";
const SCF_REGION: &str = "ap-guangzhou";
const SCF_APPID: &str = "1250000000";
const SCF_UIN: &str = "100000000001";

/// The ARN Lambda would invoke the function by.
pub(crate) fn function_arn(spec: &EmulationSpec) -> String {
    format!(
        "arn:aws:lambda:{AWS_REGION}:{AWS_ACCOUNT}:function:{}",
        spec.function
    )
}

/// `command` with the platform's environment for `spec`, wired by `wiring`.
pub(crate) fn apply(
    command: ChildCommand,
    spec: &EmulationSpec,
    wiring: &Wiring,
    instance_id: &str,
) -> ChildCommand {
    let mut command = command;
    for known in PLATFORMS {
        for sign in known.signs.iter().chain(known.fallback_signs) {
            if let Sign::Set(name) | Sign::Equals(name, _) = sign {
                command = command.env_remove(*name);
            }
        }
    }
    command = command.env_remove(PLATFORM_VAR);
    for (key, value) in variables(spec, wiring, instance_id) {
        command = command.env(key, value);
    }
    for (key, value) in &spec.env {
        command = command.env(key, value);
    }
    command
}

/// The variables alone, in the order they are set.
pub(crate) fn variables(
    spec: &EmulationSpec,
    wiring: &Wiring,
    instance_id: &str,
) -> Vec<(String, String)> {
    let name = spec.function.as_str();
    let memory = spec.memory_mb.to_string();
    // The code folder on the platform (`/var/task`, `/code`, `/var/user`)
    // is where the developer runs `emulate`.
    let code_dir = std::env::current_dir()
        .map(|dir| dir.display().to_string())
        .unwrap_or_else(|_| ".".into());
    let mut vars: Vec<(&str, String)> = Vec::new();
    match (spec.platform, wiring) {
        (EmulatedPlatform::Aws, Wiring::RuntimeApi(api)) => vars.extend([
            ("AWS_LAMBDA_RUNTIME_API", api.clone()),
            ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!("emulate/[$LATEST]{instance_id}"),
            ),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
            ("AWS_REGION", AWS_REGION.into()),
            ("AWS_DEFAULT_REGION", AWS_REGION.into()),
            ("_HANDLER", "bootstrap".into()),
            ("LAMBDA_TASK_ROOT", code_dir.clone()),
            ("LAMBDA_RUNTIME_DIR", code_dir),
            ("TZ", ":UTC".into()),
        ]),
        (EmulatedPlatform::Scf, Wiring::ScfApi(host, port)) => vars.extend([
            ("SCF_RUNTIME_API", host.clone()),
            ("SCF_RUNTIME_API_PORT", port.to_string()),
            ("TENCENTCLOUD_RUNENV", "SCF".into()),
            ("SCF_FUNCTIONNAME", name.to_owned()),
            ("SCF_FUNCTIONVERSION", "$LATEST".into()),
            ("SCF_NAMESPACE", "default".into()),
            ("TENCENTCLOUD_REGION", SCF_REGION.into()),
            ("TENCENTCLOUD_APPID", SCF_APPID.into()),
            ("TENCENTCLOUD_UIN", SCF_UIN.into()),
            ("_HANDLER", "index.main_handler".into()),
            ("USER_CODE_ROOT", code_dir),
        ]),
        (EmulatedPlatform::Fc, Wiring::Port(port)) => vars.extend([
            ("FC_CUSTOM_LISTEN_PORT", port.to_string()),
            // Set by aliyun/fc-docker and read by many samples (reference 2.10).
            ("FC_SERVER_PORT", port.to_string()),
            ("FC_FUNCTION_NAME", name.to_owned()),
            ("FC_FUNCTION_MEMORY_SIZE", memory),
            ("FC_FUNCTION_HANDLER", "index.handler".into()),
            ("FC_FUNCTION_VERSION", "LATEST".into()),
            ("FC_REGION", FC_REGION.into()),
            ("FC_ACCOUNT_ID", FC_ACCOUNT.into()),
            ("FC_INSTANCE_ID", instance_id.to_owned()),
            ("FC_FUNC_CODE_PATH", code_dir),
            ("LIGHT_RUNTIME_LISTEN_HOST", "127.0.0.1".into()),
        ]),
        (EmulatedPlatform::ScfWeb, Wiring::Port(port)) => vars.extend([
            ("TENCENTCLOUD_RUNENV", "SCF".into()),
            ("SCF_FUNCTIONNAME", name.to_owned()),
            ("SCF_FUNCTIONVERSION", "$LATEST".into()),
            ("SCF_NAMESPACE", "default".into()),
            ("TENCENTCLOUD_REGION", SCF_REGION.into()),
            ("TENCENTCLOUD_APPID", SCF_APPID.into()),
            ("TENCENTCLOUD_UIN", SCF_UIN.into()),
            ("USER_CODE_ROOT", code_dir),
            // SCF fixes port 9000; light-runtime functions take this one
            // instead, so the endpoint may keep 9000.
            ("LIGHT_RUNTIME_PORT", port.to_string()),
            ("LIGHT_RUNTIME_LISTEN_HOST", "127.0.0.1".into()),
        ]),
        (EmulatedPlatform::Http, Wiring::Port(port)) => vars.extend([
            ("PORT", port.to_string()),
            ("K_SERVICE", name.to_owned()),
            ("K_CONFIGURATION", name.to_owned()),
            ("K_REVISION", format!("{name}-00001")),
            ("LIGHT_RUNTIME_LISTEN_HOST", "127.0.0.1".into()),
        ]),
        // `Instance::start` makes the wiring from the platform.
        _ => {}
    }
    vars.into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(platform: EmulatedPlatform, wiring: Wiring) -> Vec<(String, String)> {
        let mut spec = EmulationSpec::new(platform, vec!["bootstrap".into()]);
        spec.function = "orders".into();
        spec.memory_mb = 512;
        variables(&spec, &wiring, "i1")
    }

    fn get<'a>(vars: &'a [(String, String)], key: &str) -> Option<&'a str> {
        vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    #[test]
    fn each_platform_tells_its_own_variables() {
        let aws = vars(
            EmulatedPlatform::Aws,
            Wiring::RuntimeApi("127.0.0.1:1".into()),
        );
        assert_eq!(get(&aws, "AWS_LAMBDA_RUNTIME_API"), Some("127.0.0.1:1"));
        assert_eq!(get(&aws, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Some("512"));
        assert_eq!(get(&aws, "AWS_LAMBDA_FUNCTION_NAME"), Some("orders"));

        let scf = vars(EmulatedPlatform::Scf, Wiring::ScfApi("127.0.0.1".into(), 7));
        assert_eq!(get(&scf, "SCF_RUNTIME_API_PORT"), Some("7"));
        assert_eq!(get(&scf, "SCF_FUNCTIONNAME"), Some("orders"));

        let fc = vars(EmulatedPlatform::Fc, Wiring::Port(8));
        assert_eq!(get(&fc, "FC_CUSTOM_LISTEN_PORT"), Some("8"));
        assert_eq!(get(&fc, "FC_FUNCTION_MEMORY_SIZE"), Some("512"));

        let web = vars(EmulatedPlatform::ScfWeb, Wiring::Port(9));
        assert_eq!(get(&web, "LIGHT_RUNTIME_PORT"), Some("9"));
        assert_eq!(get(&web, "SCF_RUNTIME_API"), None);

        let http = vars(EmulatedPlatform::Http, Wiring::Port(10));
        assert_eq!(get(&http, "PORT"), Some("10"));
        assert_eq!(get(&http, "K_SERVICE"), Some("orders"));
    }
}
