//! [`OtelVariables`]: what the standard `OTEL_*` variables say.

use opentelemetry::KeyValue;
use percent_encoding::percent_decode_str;
use runtime_engine::Environment;

use super::otlp_settings::{OtlpSettings, Signal};
use crate::variables;

/// Where one signal goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExporterKind {
    /// OTLP: http/protobuf, http/json or gRPC, over http or https.
    Otlp,
    /// JSON lines on stdout (CloudWatch EMF on AWS, for metrics).
    Console,
    /// Recorded, never exported.
    None,
}

/// What the `OTEL_*` variables say.
#[derive(Clone, Debug)]
pub(crate) struct OtelVariables {
    /// Where the `OTEL_EXPORTER_OTLP_*` variables are read from, when a
    /// pipeline exporting by OTLP is built: each lookup scans the process
    /// environment, and a layer reads only its own signal's (cold start).
    env: Environment,
    /// `OTEL_SERVICE_NAME`; the function's name otherwise.
    pub(crate) service_name: Option<String>,
    /// `OTEL_RESOURCE_ATTRIBUTES`: `key=value,key=value`.
    pub(crate) resource_attributes: Vec<KeyValue>,
    /// `OTEL_METRICS_EXPORTER`.
    pub(crate) metrics_exporter: ExporterKind,
    /// `OTEL_TRACES_EXPORTER`.
    pub(crate) traces_exporter: ExporterKind,
    /// `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`: `delta` (default) or `cumulative`.
    pub(crate) cumulative: bool,
    /// `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`.
    pub(crate) sampler: &'static str,
    /// The ratio of the `*traceidratio` samplers.
    pub(crate) sampler_ratio: f64,
}

impl OtelVariables {
    /// Reads the variables; see `docs/layers.md` for each.
    pub(crate) fn from_environment(env: &Environment) -> Self {
        // Any endpoint, valid or not, means OTLP: a bad one is then an
        // init error rather than a quiet switch to another exporter.
        let any_endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT").is_some();
        let metrics_endpoint = env.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
        let traces_endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        let exporters = ["otlp", "console", "none"];
        let metrics_default = if any_endpoint || metrics_endpoint.is_some() {
            "otlp"
        } else {
            "console"
        };
        let traces_default = if any_endpoint || traces_endpoint.is_some() {
            "otlp"
        } else {
            "none"
        };
        let kind = |name: &str, default: &'static str| match variables::choice(
            env, name, &exporters, default,
        ) {
            "otlp" => ExporterKind::Otlp,
            "console" => ExporterKind::Console,
            _ => ExporterKind::None,
        };
        let samplers = [
            "parentbased_always_on",
            "parentbased_always_off",
            "parentbased_traceidratio",
            "always_on",
            "always_off",
            "traceidratio",
        ];
        let sampler = variables::choice(
            env,
            "OTEL_TRACES_SAMPLER",
            &samplers,
            "parentbased_always_on",
        );
        let sampler_ratio = match env.get("OTEL_TRACES_SAMPLER_ARG") {
            None => 1.0,
            Some(arg) => match arg.trim().parse::<f64>() {
                Ok(ratio) if (0.0..=1.0).contains(&ratio) => ratio,
                _ => {
                    variables::warn_invalid(
                        "OTEL_TRACES_SAMPLER_ARG",
                        &arg,
                        "a ratio from 0 to 1",
                        "1.0",
                    );
                    1.0
                }
            },
        };
        let temporality = ["delta", "cumulative"];
        OtelVariables {
            env: env.clone(),
            service_name: env.get("OTEL_SERVICE_NAME"),
            resource_attributes: pairs(env, "OTEL_RESOURCE_ATTRIBUTES")
                .into_iter()
                .map(|(k, v)| KeyValue::new(k, v))
                .collect(),
            metrics_exporter: kind("OTEL_METRICS_EXPORTER", metrics_default),
            traces_exporter: kind("OTEL_TRACES_EXPORTER", traces_default),
            cumulative: variables::choice(
                env,
                "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                &temporality,
                "delta",
            ) == "cumulative",
            sampler,
            sampler_ratio,
        }
    }

    /// The `OTEL_EXPORTER_OTLP_*` variables of `signal` (the per-signal
    /// form first), or what is wrong with them, naming the variable: an
    /// init error when the signal goes to OTLP.
    pub(crate) fn otlp_settings(&self, signal: Signal) -> Result<OtlpSettings, String> {
        OtlpSettings::read(&self.env, signal)
    }
}

/// `key=value,key=value` (values percent-decoded); malformed entries warn and are skipped.
fn pairs(env: &Environment, name: &str) -> Vec<(String, String)> {
    let Some(value) = env.get(name) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match entry.split_once('=') {
            Some((key, val)) if !key.trim().is_empty() => {
                let value = percent_decode_str(val.trim()).decode_utf8_lossy();
                out.push((key.trim().to_owned(), value.into_owned()))
            }
            _ => variables::warn_invalid(name, entry, "key=value entries", "the entry skipped"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_invalid_values() {
        let env = Environment::from_vars([
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318/"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url"),
            ("OTEL_RESOURCE_ATTRIBUTES", "team=pay%20ments,broken"),
            ("OTEL_METRICS_EXPORTER", "prometheus"),
        ]);
        let config = OtelVariables::from_environment(&env);
        let metrics = config.otlp_settings(Signal::Metrics).unwrap();
        assert_eq!(metrics.url, "http://127.0.0.1:4318/v1/metrics");
        let traces = config.otlp_settings(Signal::Traces).unwrap_err();
        assert!(
            traces.starts_with("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=`not a url` is not valid"),
            "{traces}"
        );
        assert_eq!(
            config.resource_attributes,
            vec![KeyValue::new("team", "pay ments")]
        );
        assert_eq!(config.metrics_exporter, ExporterKind::Otlp);
        assert_eq!(config.traces_exporter, ExporterKind::Otlp);
    }

    #[test]
    fn without_an_endpoint_metrics_go_to_stdout_and_traces_nowhere() {
        let config =
            OtelVariables::from_environment(&Environment::from_vars::<_, String, String>([]));
        assert_eq!(config.metrics_exporter, ExporterKind::Console);
        assert_eq!(config.traces_exporter, ExporterKind::None);
    }
}
