//! What is known about the function and the platform before any invocation.

use std::fmt;
use std::sync::Arc;

use crate::initialization::Initialization;

/// The platform a function runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Platform {
    /// AWS Lambda, through the Lambda Runtime API.
    AwsLambda,
    /// Alibaba Cloud Function Compute custom runtime.
    AliyunFc,
    /// Tencent Cloud SCF custom runtime.
    TencentScf,
    /// A plain HTTP FaaS: Knative, Cloud Run, OpenFaaS.
    Http,
    /// The embedded local server, for development.
    Local,
}

impl Platform {
    /// The short name used by `LIGHT_RUNTIME_PLATFORM` (`aws`, `fc`, `scf`, `http`, `local`).
    pub const fn short_name(self) -> &'static str {
        match self {
            Platform::AwsLambda => "aws",
            Platform::AliyunFc => "fc",
            Platform::TencentScf => "scf",
            Platform::Http => "http",
            Platform::Local => "local",
        }
    }

    /// The OpenTelemetry `cloud.provider` value, if the platform is a cloud.
    pub const fn cloud_provider(self) -> Option<&'static str> {
        match self {
            Platform::AwsLambda => Some("aws"),
            Platform::AliyunFc => Some("alibaba_cloud"),
            Platform::TencentScf => Some("tencent_cloud"),
            Platform::Http | Platform::Local => None,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Platform::AwsLambda => "AWS Lambda",
            Platform::AliyunFc => "Alibaba Cloud Function Compute",
            Platform::TencentScf => "Tencent Cloud SCF",
            Platform::Http => "plain HTTP",
            Platform::Local => "local",
        })
    }
}

/// Facts about the deployed function, read once from the platform's
/// environment and shared (behind an `Arc`) by every invocation's [`Context`].
///
/// [`Context`]: crate::Context
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FunctionInfo {
    /// Where the function runs.
    pub platform: Platform,
    /// The function's name as the platform knows it.
    pub name: Arc<str>,
    /// The deployed version (`$LATEST`, a number, an alias).
    pub version: Arc<str>,
    /// Memory limit in MiB, when the platform says.
    pub memory_mb: Option<u32>,
    /// Cloud region, when the platform says.
    pub region: Option<Arc<str>>,
    /// Cloud account id, when the platform says (on AWS, read from the invoked ARN).
    pub account_id: Option<Arc<str>>,
    /// Invocations the platform may send at once to this instance.
    pub max_concurrency: usize,
    /// Log group and stream, where the platform has them; logs and metrics name them.
    pub log_group: Option<Arc<str>>,
    /// See `log_group`.
    pub log_stream: Option<Arc<str>>,
    /// Which of the binary's functions this instance serves, when the
    /// binary holds several (`Runtime::builder().function(name, ..)`) and
    /// the deployment named one (AWS `_HANDLER`, FC's handler,
    /// `FUNCTION_TARGET`). `None` for a single-function binary, and when
    /// requests are routed by path: then each invocation's
    /// [`Context::handler`](crate::Context::handler) names its function.
    pub handler: Option<Arc<str>>,
    /// How the platform made this instance (on demand, provisioned,
    /// restored from a snapshot), so a cold start can say whether a
    /// caller waited for it.
    pub initialization: Initialization,
    /// Whether the platform tells the runtime before it may freeze the
    /// instance (AWS Lambda's and SCF's next-event call, FC 2.0's
    /// `/pre-freeze`), so that the `Freeze` phase runs each time. Where it
    /// does not (FC 3.0, plain HTTP, SCF web functions, local), telemetry
    /// exports when the instance goes idle and on an interval instead.
    /// The adapter states it; [`FunctionInfo::new`] starts from the
    /// platform's usual answer.
    pub freezes_with_notice: bool,
}

impl FunctionInfo {
    /// A function on `platform` called `name`, version `$LATEST`, one invocation at a time.
    pub fn new(platform: Platform, name: impl Into<Arc<str>>) -> Self {
        FunctionInfo {
            platform,
            name: name.into(),
            version: Arc::from("$LATEST"),
            memory_mb: None,
            region: None,
            account_id: None,
            max_concurrency: 1,
            log_group: None,
            log_stream: None,
            handler: None,
            initialization: Initialization::OnDemand,
            // FC 2.0 can send `/pre-freeze`, but only when the user
            // configured the hook, and FC 3.0 never does: FC counts as
            // freezing without notice.
            freezes_with_notice: matches!(platform, Platform::AwsLambda | Platform::TencentScf),
        }
    }

    /// Sets the version.
    pub fn with_version(mut self, version: impl Into<Arc<str>>) -> Self {
        self.version = version.into();
        self
    }

    /// Sets the memory limit in MiB.
    pub fn with_memory_mb(mut self, memory_mb: Option<u32>) -> Self {
        self.memory_mb = memory_mb;
        self
    }

    /// Sets the region.
    pub fn with_region(mut self, region: Option<impl Into<Arc<str>>>) -> Self {
        self.region = region.map(Into::into);
        self
    }

    /// Sets the account id.
    pub fn with_account_id(mut self, account_id: Option<impl Into<Arc<str>>>) -> Self {
        self.account_id = account_id.map(Into::into);
        self
    }

    /// Sets how many invocations may be in flight at once (at least 1).
    pub fn with_max_concurrency(mut self, max_concurrency: usize) -> Self {
        self.max_concurrency = max_concurrency.max(1);
        self
    }

    /// Sets the log group and stream.
    pub fn with_log_names(
        mut self,
        group: Option<impl Into<Arc<str>>>,
        stream: Option<impl Into<Arc<str>>>,
    ) -> Self {
        self.log_group = group.map(Into::into);
        self.log_stream = stream.map(Into::into);
        self
    }

    /// Sets how the platform made this instance.
    pub fn with_initialization(mut self, initialization: Initialization) -> Self {
        self.initialization = initialization;
        self
    }

    /// Sets whether the platform signals each freeze beforehand (see
    /// [`freezes_with_notice`](Self::freezes_with_notice)).
    pub fn with_freezes_with_notice(mut self, freezes_with_notice: bool) -> Self {
        self.freezes_with_notice = freezes_with_notice;
        self
    }

    /// Sets which of the binary's functions this instance serves.
    pub fn with_handler(mut self, handler: Option<impl Into<Arc<str>>>) -> Self {
        self.handler = handler.map(Into::into);
        self
    }
}
