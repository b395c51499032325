//! [`Initialization`]: how the platform made this instance, which tells a
//! cold start a caller waited for from one it did not.

use std::fmt;

/// How this instance was initialised, as AWS Lambda says in
/// `AWS_LAMBDA_INITIALIZATION_TYPE`. A cold start costs the caller the
/// init time only `OnDemand`; provisioned and SnapStart instances were
/// initialised ahead of the request (a SnapStart one restored from a
/// snapshot), so telemetry that lumps them together misleads.
///
/// Platforms without such a variable are `OnDemand`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Initialization {
    /// Started for a request (`on-demand`).
    #[default]
    OnDemand,
    /// Started ahead of requests for provisioned concurrency
    /// (`provisioned-concurrency`).
    ProvisionedConcurrency,
    /// Restored from a snapshot taken after init (`snap-start`).
    SnapStart,
    /// A Lambda Managed Instances environment, serving several requests
    /// at once (`lambda-managed-instances`).
    ManagedInstances,
    /// A value this version does not know; the variable keeps it.
    Unrecognised,
}

impl Initialization {
    /// The variable AWS Lambda names it in.
    pub const LAMBDA_VARIABLE: &'static str = "AWS_LAMBDA_INITIALIZATION_TYPE";

    /// Reads Lambda's value. `on-demand`, `provisioned-concurrency` and
    /// `lambda-managed-instances` are in AWS's code (RIE); `snap-start` is
    /// in AWS's runtime interface clients (awslambdaric, lambda_runtime)
    /// and in no AWS document we found, hence **unconfirmed** as a
    /// documented value. Anything else is [`Unrecognised`](Self::Unrecognised).
    pub fn from_lambda(value: &str) -> Self {
        match value.trim() {
            "on-demand" => Initialization::OnDemand,
            "provisioned-concurrency" => Initialization::ProvisionedConcurrency,
            "snap-start" => Initialization::SnapStart,
            "lambda-managed-instances" => Initialization::ManagedInstances,
            _ => Initialization::Unrecognised,
        }
    }

    /// Lambda's spelling (`on-demand`, `snap-start`, ...); telemetry uses it.
    pub const fn name(self) -> &'static str {
        match self {
            Initialization::OnDemand => "on-demand",
            Initialization::ProvisionedConcurrency => "provisioned-concurrency",
            Initialization::SnapStart => "snap-start",
            Initialization::ManagedInstances => "lambda-managed-instances",
            Initialization::Unrecognised => "unrecognised",
        }
    }

    /// Whether the instance was initialised before any request reached it,
    /// so its cold start did not make a caller wait for init.
    pub const fn is_ahead_of_requests(self) -> bool {
        matches!(
            self,
            Initialization::ProvisionedConcurrency | Initialization::SnapStart
        )
    }
}

impl fmt::Display for Initialization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_values_read_back_as_written() {
        for value in [
            "on-demand",
            "provisioned-concurrency",
            "snap-start",
            "lambda-managed-instances",
        ] {
            assert_eq!(Initialization::from_lambda(value).name(), value);
        }
        assert_eq!(
            Initialization::from_lambda("warm-pool"),
            Initialization::Unrecognised
        );
    }

    #[test]
    fn only_provisioned_and_snapstart_start_ahead_of_requests() {
        assert!(Initialization::SnapStart.is_ahead_of_requests());
        assert!(Initialization::ProvisionedConcurrency.is_ahead_of_requests());
        assert!(!Initialization::OnDemand.is_ahead_of_requests());
        assert!(!Initialization::ManagedInstances.is_ahead_of_requests());
    }
}
