//! [`PLATFORMS`]: every platform light-runtime knows, in detection order,
//! each with its names, its cargo feature, the environment variables that
//! give it away, and its [`Adapter`] when that feature is on.
//!
//! The rows exist whether or not the adapter is compiled in, so a build
//! without, say, `aws_lambda` still recognises Lambda and says which
//! feature to enable instead of quietly serving locally.

use std::fmt;

use runtime_engine::{Environment, Error, Platform};

use crate::adapter::Adapter;

/// The variable that names the platform and overrides detection.
pub const PLATFORM_VAR: &str = "LIGHT_RUNTIME_PLATFORM";

/// Something in the environment that gives a platform away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// The variable is set.
    Set(&'static str),
    /// The variable is set to this value.
    Equals(&'static str, &'static str),
    /// Always present: the platform to fall back on.
    Always,
}

impl Sign {
    /// Whether `env` shows this sign.
    pub fn is_in(self, env: &Environment) -> bool {
        match self {
            Sign::Set(var) => env.contains(var),
            Sign::Equals(var, value) => env.get(var).as_deref() == Some(value),
            Sign::Always => true,
        }
    }
}

/// One platform: how it is named and detected, and its adapter if compiled in.
pub struct KnownPlatform {
    /// The platform, as [`FunctionInfo`](runtime_engine::FunctionInfo) reports it.
    pub platform: Platform,
    /// The names `LIGHT_RUNTIME_PLATFORM` accepts, any case; the first is
    /// the one error messages suggest.
    pub names: &'static [&'static str],
    /// The cargo feature (of light-runtime and of this crate) that compiles
    /// the adapter in.
    pub feature: &'static str,
    /// Signs that this is the platform: the first row with one wins.
    pub signs: &'static [Sign],
    /// Weaker signs, looked at only when no row's `signs` are present
    /// (SCF's `TENCENTCLOUD_RUNENV=SCF` is on every SCF function, and a
    /// plain-HTTP variable beside it should still win).
    pub fallback_signs: &'static [Sign],
    /// The adapter; `None` when [`feature`](Self::feature) is off.
    pub adapter: Option<&'static dyn Adapter>,
}

impl fmt::Debug for KnownPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnownPlatform")
            .field("platform", &self.platform)
            .field("names", &self.names)
            .field("feature", &self.feature)
            .field("compiled_in", &self.adapter.is_some())
            .finish_non_exhaustive()
    }
}

/// `Some(&adapter)` when `feature` is on, else `None`.
macro_rules! compiled_in {
    ($feature:literal, $adapter:path) => {{
        #[cfg(feature = $feature)]
        let adapter: Option<&'static dyn Adapter> = Some(&$adapter);
        #[cfg(not(feature = $feature))]
        let adapter: Option<&'static dyn Adapter> = None;
        adapter
    }};
}

/// Every platform, in detection order. Adding a platform is one row here
/// and one module implementing [`Adapter`] (see `docs/adding-a-platform.md`).
pub static PLATFORMS: &[KnownPlatform] = &[
    KnownPlatform {
        platform: Platform::AwsLambda,
        names: &["aws", "lambda", "aws_lambda"],
        feature: "aws_lambda",
        signs: &[Sign::Set("AWS_LAMBDA_RUNTIME_API")],
        fallback_signs: &[],
        adapter: compiled_in!("aws_lambda", crate::aws_lambda::AwsLambda),
    },
    KnownPlatform {
        platform: Platform::AliyunFc,
        names: &["fc", "aliyun", "aliyun_fc"],
        feature: "aliyun_fc",
        signs: &[
            Sign::Set("FC_FUNC_CODE_PATH"),
            Sign::Set("FC_CUSTOM_LISTEN_PORT"),
            Sign::Set("FC_FUNCTION_NAME"),
            Sign::Set("FC_SERVER_PORT"),
        ],
        fallback_signs: &[],
        adapter: compiled_in!("aliyun_fc", crate::aliyun_fc::AliyunFc),
    },
    KnownPlatform {
        platform: Platform::TencentScf,
        names: &["scf", "tencent", "tencent_scf"],
        feature: "tencent_scf",
        signs: &[Sign::Set("SCF_RUNTIME_API")],
        fallback_signs: &[Sign::Equals("TENCENTCLOUD_RUNENV", "SCF")],
        adapter: compiled_in!("tencent_scf", crate::tencent_scf::TencentScf),
    },
    KnownPlatform {
        platform: Platform::Http,
        names: &["http"],
        feature: "http",
        signs: &[Sign::Set("K_SERVICE"), Sign::Set("FUNCTION_TARGET")],
        fallback_signs: &[],
        adapter: compiled_in!("http", crate::http::PlainHttp),
    },
    KnownPlatform {
        platform: Platform::Local,
        names: &["local"],
        feature: "local",
        signs: &[],
        fallback_signs: &[Sign::Always],
        adapter: compiled_in!("local", crate::local::Local),
    },
];

impl KnownPlatform {
    /// The row for `platform`.
    pub fn of(platform: Platform) -> Result<&'static KnownPlatform, Error> {
        PLATFORMS
            .iter()
            .find(|known| known.platform == platform)
            .ok_or_else(|| Error::config(format!("light-runtime has no adapter for {platform}")))
    }

    /// The platform `LIGHT_RUNTIME_PLATFORM` names, else the first whose
    /// signs the environment shows, else the first with a fallback sign.
    pub fn detect(env: &Environment) -> Result<&'static KnownPlatform, Error> {
        if let Some(name) = env.get(PLATFORM_VAR) {
            return KnownPlatform::named(&name);
        }
        let shows = |signs: &[Sign]| signs.iter().any(|sign| sign.is_in(env));
        PLATFORMS
            .iter()
            .find(|known| shows(known.signs))
            .or_else(|| PLATFORMS.iter().find(|known| shows(known.fallback_signs)))
            .ok_or_else(|| Error::config("no platform detected and none named"))
    }

    /// The platform called `name` (any case); an unknown name is an error
    /// listing the accepted ones.
    pub fn named(name: &str) -> Result<&'static KnownPlatform, Error> {
        let wanted = name.trim().to_ascii_lowercase();
        PLATFORMS
            .iter()
            .find(|known| known.names.contains(&wanted.as_str()))
            .ok_or_else(|| {
                let accepted: Vec<&str> = PLATFORMS.iter().map(|known| known.names[0]).collect();
                Error::config(format!(
                    "{PLATFORM_VAR}={wanted:?} names no platform; use one of {}",
                    accepted.join(", ")
                ))
            })
    }

    /// The adapter, or an error saying which feature compiles it in.
    pub fn adapter(&self) -> Result<&'static dyn Adapter, Error> {
        self.adapter.ok_or_else(|| {
            Error::config(format!(
                "the {} adapter is not in this build: enable light-runtime's `{}` feature, \
                 or set {PLATFORM_VAR}=local to run locally",
                self.platform, self.feature
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(vars: &[(&str, &str)]) -> Platform {
        let env = Environment::from_vars(vars.iter().copied());
        KnownPlatform::detect(&env).unwrap().platform
    }

    #[test]
    fn a_platform_sign_beats_every_fallback_sign() {
        let scf_web_and_knative = [("TENCENTCLOUD_RUNENV", "SCF"), ("K_SERVICE", "orders")];
        assert_eq!(detected(&scf_web_and_knative), Platform::Http);
        assert_eq!(
            detected(&[("TENCENTCLOUD_RUNENV", "SCF")]),
            Platform::TencentScf
        );
        assert_eq!(detected(&[("TENCENTCLOUD_RUNENV", "CVM")]), Platform::Local);
    }

    #[test]
    fn an_unknown_name_lists_every_platform() {
        let error = KnownPlatform::named(" Azure ").unwrap_err().to_string();
        assert!(
            error.ends_with("\"azure\" names no platform; use one of aws, fc, scf, http, local"),
            "{error}"
        );
    }

    #[test]
    fn a_platform_not_compiled_in_names_its_feature() {
        let missing = KnownPlatform {
            platform: Platform::AwsLambda,
            names: &["aws"],
            feature: "aws_lambda",
            signs: &[],
            fallback_signs: &[],
            adapter: None,
        };
        let error = missing.adapter().unwrap_err();
        assert!(error.is_config());
        assert!(
            error
                .to_string()
                .contains("enable light-runtime's `aws_lambda` feature"),
            "{error}"
        );
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = PLATFORMS
            .iter()
            .flat_map(|known| known.names)
            .copied()
            .collect();
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all);
    }
}
