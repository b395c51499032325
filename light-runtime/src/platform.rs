//! Which platform we run on: from `LIGHT_RUNTIME_PLATFORM`, else from each
//! platform's own environment variables, else local.

use runtime_engine::Environment;
use runtime_engine::{Error, Platform};

/// The override variable.
pub const PLATFORM_VAR: &str = "LIGHT_RUNTIME_PLATFORM";

/// Detects the platform from the environment.
///
/// `LIGHT_RUNTIME_PLATFORM=aws|fc|scf|http|local` wins; an unknown value is
/// an error naming the accepted ones. Otherwise each platform's own
/// variables, in this order:
///
/// | platform | variables |
/// |---|---|
/// | AWS Lambda | `AWS_LAMBDA_RUNTIME_API` |
/// | Alibaba FC | `FC_FUNC_CODE_PATH`, `FC_CUSTOM_LISTEN_PORT`, `FC_FUNCTION_NAME`, `FC_SERVER_PORT` |
/// | Tencent SCF | `SCF_RUNTIME_API`, `TENCENTCLOUD_RUNENV=SCF` |
/// | plain HTTP | `K_SERVICE` (Knative, Cloud Run), `FUNCTION_TARGET` |
///
/// and nothing means local. A platform whose adapter is not compiled in is
/// still detected, so the error says which feature to enable.
pub fn detect(env: &Environment) -> Result<Platform, Error> {
    if let Some(value) = env.get(PLATFORM_VAR) {
        return parse(&value);
    }
    let detected = [
        (Platform::AwsLambda, &["AWS_LAMBDA_RUNTIME_API"][..]),
        (
            Platform::AliyunFc,
            &[
                "FC_FUNC_CODE_PATH",
                "FC_CUSTOM_LISTEN_PORT",
                "FC_FUNCTION_NAME",
                "FC_SERVER_PORT",
            ],
        ),
        (Platform::TencentScf, &["SCF_RUNTIME_API"]),
        (Platform::Http, &["K_SERVICE", "FUNCTION_TARGET"]),
    ]
    .into_iter()
    .find(|(_, vars)| vars.iter().any(|var| env.contains(var)))
    .map(|(platform, _)| platform);
    if let Some(platform) = detected {
        return Ok(platform);
    }
    if env.get("TENCENTCLOUD_RUNENV").as_deref() == Some("SCF") {
        return Ok(Platform::TencentScf);
    }
    Ok(Platform::Local)
}

/// Parses a platform's short name.
pub fn parse(value: &str) -> Result<Platform, Error> {
    match value.trim().to_ascii_lowercase().as_str() {
        "aws" | "lambda" | "aws_lambda" => Ok(Platform::AwsLambda),
        "fc" | "aliyun" | "aliyun_fc" => Ok(Platform::AliyunFc),
        "scf" | "tencent" | "tencent_scf" => Ok(Platform::TencentScf),
        "http" => Ok(Platform::Http),
        "local" => Ok(Platform::Local),
        other => Err(Error::config(format!(
            "{PLATFORM_VAR}={other:?} names no platform; use one of aws, fc, scf, http, local"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_unknown_ones_are_explained() {
        assert_eq!(parse("AWS").unwrap(), Platform::AwsLambda);
        assert_eq!(parse("local").unwrap(), Platform::Local);
        let error = parse("azure").unwrap_err();
        assert!(
            error.to_string().contains("\"azure\" names no platform"),
            "{error}"
        );
        assert!(error.is_config());
    }

    #[test]
    fn each_platform_is_detected_from_its_own_variables() {
        let cases: [(&[(&str, &str)], Platform); 9] = [
            (
                &[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")],
                Platform::AwsLambda,
            ),
            (&[("FC_FUNC_CODE_PATH", "/code")], Platform::AliyunFc),
            (&[("FC_CUSTOM_LISTEN_PORT", "9000")], Platform::AliyunFc),
            (&[("FC_SERVER_PORT", "9000")], Platform::AliyunFc),
            (&[("SCF_RUNTIME_API", "127.0.0.1")], Platform::TencentScf),
            (&[("TENCENTCLOUD_RUNENV", "SCF")], Platform::TencentScf),
            (&[("K_SERVICE", "orders")], Platform::Http),
            (&[("FUNCTION_TARGET", "orders")], Platform::Http),
            (&[("PORT", "8080")], Platform::Local),
        ];
        for (vars, expected) in cases {
            let env = Environment::from_vars(vars.iter().copied());
            assert_eq!(detect(&env).unwrap(), expected, "{vars:?}");
        }
        let env = Environment::from_vars([("K_SERVICE", "orders"), (PLATFORM_VAR, "fc")]);
        assert_eq!(
            detect(&env).unwrap(),
            Platform::AliyunFc,
            "the override wins"
        );
    }
}
