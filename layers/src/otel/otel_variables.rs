//! [`OtelVariables`]: what the standard `OTEL_*` variables say.

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry::KeyValue;
use percent_encoding::percent_decode_str;
use runtime_engine::Environment;

use crate::variables;

/// The default OTLP/HTTP endpoint of the specification.
const DEFAULT_ENDPOINT: &str = "http://localhost:4318";

/// Where one signal goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExporterKind {
    /// OTLP over HTTP/protobuf.
    Otlp,
    /// JSON lines on stdout (CloudWatch EMF on AWS, for metrics).
    Console,
    /// Recorded, never exported.
    None,
}

/// What the `OTEL_*` variables say.
#[derive(Clone, Debug)]
pub(crate) struct OtelVariables {
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, if set and valid.
    pub(crate) endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, used as is.
    pub(crate) metrics_endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, used as is.
    pub(crate) traces_endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_TIMEOUT`: one export attempt's limit.
    pub(crate) timeout: Duration,
    /// `OTEL_EXPORTER_OTLP_HEADERS`: `key=value,key=value`.
    pub(crate) headers: HashMap<String, String>,
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
        let endpoint = valid_endpoint(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
        let any_endpoint = endpoint.is_some();
        let metrics_endpoint = valid_endpoint(env, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
        let traces_endpoint = valid_endpoint(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
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
        // The export speaks one protocol and does not compress; another
        // choice is named in a warning rather than silently ignored.
        for name in [
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        ] {
            variables::choice(env, name, &["http/protobuf"], "http/protobuf");
        }
        for name in [
            "OTEL_EXPORTER_OTLP_COMPRESSION",
            "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION",
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        ] {
            variables::choice(env, name, &["none"], "none");
        }
        let temporality = ["delta", "cumulative"];
        OtelVariables {
            endpoint,
            metrics_endpoint,
            traces_endpoint,
            timeout: variables::millis(env, "OTEL_EXPORTER_OTLP_TIMEOUT", Duration::from_secs(10)),
            headers: pairs(env, "OTEL_EXPORTER_OTLP_HEADERS")
                .into_iter()
                .collect(),
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

    /// The full URL metrics are posted to.
    pub(crate) fn metrics_url(&self) -> String {
        signal_url(&self.metrics_endpoint, &self.endpoint, "v1/metrics")
    }

    /// The full URL spans are posted to.
    pub(crate) fn traces_url(&self) -> String {
        signal_url(&self.traces_endpoint, &self.endpoint, "v1/traces")
    }
}

fn signal_url(signal: &Option<String>, base: &Option<String>, path: &str) -> String {
    match (signal, base) {
        (Some(url), _) => url.clone(),
        (None, Some(base)) => format!("{}/{path}", base.trim_end_matches('/')),
        (None, None) => format!("{DEFAULT_ENDPOINT}/{path}"),
    }
}

/// An `http://` or `https://` URL with a host, or a warning and `None`.
fn valid_endpoint(env: &Environment, name: &str) -> Option<String> {
    let value = env.get(name)?;
    match value.parse::<http::Uri>() {
        Ok(uri)
            if matches!(uri.scheme_str(), Some("http" | "https")) && uri.authority().is_some() =>
        {
            Some(value)
        }
        _ => {
            let default = format!("{DEFAULT_ENDPOINT} (the specification's default)");
            variables::warn_invalid(name, &value, "an http:// or https:// URL", &default);
            None
        }
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
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon"),
            ("OTEL_RESOURCE_ATTRIBUTES", "team=pay%20ments,broken"),
            ("OTEL_METRICS_EXPORTER", "prometheus"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ]);
        let config = OtelVariables::from_environment(&env);
        assert_eq!(config.metrics_url(), "http://127.0.0.1:4318/v1/metrics");
        assert_eq!(config.traces_url(), "http://127.0.0.1:4318/v1/traces");
        assert_eq!(config.timeout, Duration::from_secs(10));
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
