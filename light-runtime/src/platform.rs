//! Which platform we run on: from `LIGHT_RUNTIME_PLATFORM`, else from each
//! platform's own environment variables, else local.

use light_runtime_adapters::Environment;
use runtime_engine::{Error, Platform};

/// The override variable.
pub const PLATFORM_VAR: &str = "LIGHT_RUNTIME_PLATFORM";

/// Detects the platform from the environment.
///
/// `LIGHT_RUNTIME_PLATFORM=aws|fc|scf|http|local` wins; an unknown value is
/// an error naming the accepted ones. Otherwise `AWS_LAMBDA_RUNTIME_API`
/// means AWS Lambda, and nothing means local.
pub fn detect(env: &Environment) -> Result<Platform, Error> {
    if let Some(value) = env.get(PLATFORM_VAR) {
        return parse(&value);
    }
    if env.contains("AWS_LAMBDA_RUNTIME_API") {
        return Ok(Platform::AwsLambda);
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
}
