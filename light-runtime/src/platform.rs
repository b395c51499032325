//! Which platform we run on: from `LIGHT_RUNTIME_PLATFORM`, else from each
//! platform's own environment variables, else local. The platforms and
//! their signs are the rows of [`light_runtime_adapters::PLATFORMS`].

use light_runtime_adapters::KnownPlatform;
use runtime_engine::Environment;
use runtime_engine::{Error, Platform};

/// The override variable.
pub use light_runtime_adapters::PLATFORM_VAR;

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
/// | Tencent SCF | `SCF_RUNTIME_API` |
/// | plain HTTP | `K_SERVICE` (Knative, Cloud Run), `FUNCTION_TARGET` |
/// | Tencent SCF (web functions) | `TENCENTCLOUD_RUNENV=SCF` |
///
/// and nothing means local. A platform whose adapter is not compiled in is
/// still detected, so the error says which feature to enable.
pub fn detect(env: &Environment) -> Result<Platform, Error> {
    KnownPlatform::detect(env).map(|known| known.platform)
}

/// Parses a platform's short name.
pub fn parse(value: &str) -> Result<Platform, Error> {
    KnownPlatform::named(value).map(|known| known.platform)
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
