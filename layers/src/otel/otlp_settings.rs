//! [`OtlpSettings`]: how one signal is exported over OTLP, read from the
//! `OTEL_EXPORTER_OTLP_*` variables and their per-signal forms
//! (`OTEL_EXPORTER_OTLP_TRACES_*`, `OTEL_EXPORTER_OTLP_METRICS_*`).
//!
//! Unlike the other `OTEL_*` variables, a value here that cannot be served
//! is an error naming the variable: a warning with a default would export
//! somewhere the user did not ask for, or nowhere.

use std::time::Duration;

use percent_encoding::percent_decode_str;
use runtime_engine::Environment;

use crate::variables;

/// The specification's default export timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A telemetry signal with its own OTLP endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// A build with one of the two layers constructs only its own signal.
#[cfg_attr(not(all(feature = "metrics", feature = "trace")), allow(dead_code))]
pub(crate) enum Signal {
    /// Spans: `/v1/traces`, `TraceService/Export`.
    Traces,
    /// Metrics: `/v1/metrics`, `MetricsService/Export`.
    Metrics,
}

impl Signal {
    /// The infix of the per-signal variables.
    fn infix(self) -> &'static str {
        match self {
            Signal::Traces => "TRACES",
            Signal::Metrics => "METRICS",
        }
    }

    /// The path appended to `OTEL_EXPORTER_OTLP_ENDPOINT` over HTTP.
    fn http_path(self) -> &'static str {
        match self {
            Signal::Traces => "v1/traces",
            Signal::Metrics => "v1/metrics",
        }
    }

    /// The gRPC method's path.
    pub(crate) fn grpc_path(self) -> &'static str {
        match self {
            Signal::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            Signal::Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
        }
    }
}

/// `OTEL_EXPORTER_OTLP_PROTOCOL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// `http/protobuf`, the default.
    HttpProtobuf,
    /// `http/json`: OTLP/JSON.
    HttpJson,
    /// `grpc`: protobuf in gRPC frames over HTTP/2.
    Grpc,
}

/// A value and the variable it came from, so that a later error (an
/// unreadable file) can name the variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Named {
    /// The variable, e.g. `OTEL_EXPORTER_OTLP_CERTIFICATE`.
    pub(crate) variable: String,
    /// Its value.
    pub(crate) value: String,
}

/// How one signal is exported.
#[derive(Clone, Debug)]
// Without `otlp-formats` only the plain export's fields are read; the rest
// are still checked, so a bad value is an error either way.
#[cfg_attr(not(feature = "otlp-formats"), allow(dead_code))]
pub(crate) struct OtlpSettings {
    /// Which signal.
    pub(crate) signal: Signal,
    /// The full URL: with `/v1/...` over HTTP, the gRPC method's path for gRPC.
    pub(crate) url: String,
    /// The variable the URL came from (or "the default endpoint").
    pub(crate) url_source: String,
    /// Protobuf, JSON or gRPC.
    pub(crate) protocol: Protocol,
    /// The variable the protocol came from, if set.
    pub(crate) protocol_source: Option<String>,
    /// `gzip` bodies.
    pub(crate) gzip: bool,
    /// The variable the compression came from, if set.
    pub(crate) compression_source: Option<String>,
    /// Extra request headers, names validated, values percent-decoded.
    pub(crate) headers: Vec<(String, String)>,
    /// One export attempt's limit.
    pub(crate) timeout: Duration,
    /// A PEM file of the CA(s) to trust instead of the system's roots.
    pub(crate) certificate: Option<Named>,
    /// A PEM client certificate chain, for mutual TLS.
    pub(crate) client_certificate: Option<Named>,
    /// The PEM private key of `client_certificate`.
    pub(crate) client_key: Option<Named>,
}

impl OtlpSettings {
    /// Reads `signal`'s settings; `Err` names the variable that cannot be
    /// served and says why.
    pub(crate) fn read(env: &Environment, signal: Signal) -> Result<Self, String> {
        let protocol_named = pick(env, signal, "PROTOCOL");
        let compression_named = pick(env, signal, "COMPRESSION");
        let protocol = match &protocol_named {
            None => Protocol::HttpProtobuf,
            Some(named) => match named.value.trim() {
                "http/protobuf" => Protocol::HttpProtobuf,
                "http/json" => Protocol::HttpJson,
                "grpc" => Protocol::Grpc,
                _ => return Err(invalid(named, "grpc, http/protobuf or http/json")),
            },
        };
        let gzip = match &compression_named {
            None => false,
            Some(named) => match named.value.trim() {
                "gzip" => true,
                "none" | "" => false,
                _ => return Err(invalid(named, "gzip or none")),
            },
        };
        let (url, url_source) = url(env, signal, protocol)?;
        let mut headers = header_pairs(env, "OTEL_EXPORTER_OTLP_HEADERS")?;
        let signal_headers = format!("OTEL_EXPORTER_OTLP_{}_HEADERS", signal.infix());
        for (name, value) in header_pairs(env, &signal_headers)? {
            // The per-signal value wins over the general one.
            headers.retain(|(kept, _)| !kept.eq_ignore_ascii_case(&name));
            headers.push((name, value));
        }
        let timeout_name = format!("OTEL_EXPORTER_OTLP_{}_TIMEOUT", signal.infix());
        let timeout = if env.get(&timeout_name).is_some() {
            variables::millis(env, &timeout_name, DEFAULT_TIMEOUT)
        } else {
            variables::millis(env, "OTEL_EXPORTER_OTLP_TIMEOUT", DEFAULT_TIMEOUT)
        };
        // The certificate variables matter only over TLS; not reading them
        // otherwise saves six scans of the environment at cold start.
        let https = url.starts_with("https://");
        let tls_file = |suffix| {
            if https {
                pick(env, signal, suffix)
            } else {
                None
            }
        };
        let client_certificate = tls_file("CLIENT_CERTIFICATE");
        let client_key = tls_file("CLIENT_KEY");
        match (&client_certificate, &client_key) {
            (Some(named), None) => {
                return Err(format!(
                    "{} is set but OTEL_EXPORTER_OTLP_CLIENT_KEY is not: mutual TLS needs both",
                    named.variable
                ))
            }
            (None, Some(named)) => {
                return Err(format!(
                    "{} is set but OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is not: mutual TLS \
                     needs both",
                    named.variable
                ))
            }
            _ => {}
        }
        Ok(OtlpSettings {
            signal,
            url,
            url_source,
            protocol,
            protocol_source: protocol_named.map(|n| n.variable),
            gzip,
            compression_source: compression_named.map(|n| n.variable),
            headers,
            timeout,
            certificate: tls_file("CERTIFICATE"),
            client_certificate,
            client_key,
        })
    }
}

impl OtlpSettings {
    /// Whether the runtime's own keep-alive client can send these: plain
    /// `http://`, http/protobuf, no compression.
    pub(crate) fn is_plain(&self) -> bool {
        self.protocol == Protocol::HttpProtobuf && !self.gzip && self.url.starts_with("http://")
    }

    /// Why a build without the `otlp-formats` feature cannot send these,
    /// naming the variable that asks for more than the plain export.
    #[cfg_attr(feature = "otlp-formats", allow(dead_code))]
    pub(crate) fn needs_formats(&self) -> String {
        let (variable, what) = if self.protocol != Protocol::HttpProtobuf {
            (self.protocol_source.as_deref(), "this protocol")
        } else if self.gzip {
            (self.compression_source.as_deref(), "gzip")
        } else {
            (Some(self.url_source.as_str()), "an https:// endpoint")
        };
        format!(
            "{}: {what} needs the cargo feature `otlp-formats` of light-runtime (or \
             light-runtime-layers), which this binary was built without; without it only \
             plain http:// with http/protobuf is exported",
            variable.unwrap_or("OTEL_EXPORTER_OTLP_PROTOCOL")
        )
    }
}

/// The per-signal variable `OTEL_EXPORTER_OTLP_{SIGNAL}_{suffix}` if set,
/// else the general `OTEL_EXPORTER_OTLP_{suffix}`.
fn pick(env: &Environment, signal: Signal, suffix: &str) -> Option<Named> {
    [
        format!("OTEL_EXPORTER_OTLP_{}_{suffix}", signal.infix()),
        format!("OTEL_EXPORTER_OTLP_{suffix}"),
    ]
    .into_iter()
    .find_map(|variable| env.get(&variable).map(|value| Named { variable, value }))
}

fn invalid(named: &Named, expected: &str) -> String {
    format!(
        "{}=`{}` is not valid: expected {expected}",
        named.variable, named.value
    )
}

/// The URL a signal is sent to, and the variable it came from. A
/// per-signal endpoint is used as is over HTTP; the general one gets
/// `/v1/{signal}` appended. For gRPC only the scheme and authority count.
fn url(env: &Environment, signal: Signal, protocol: Protocol) -> Result<(String, String), String> {
    let specific = format!("OTEL_EXPORTER_OTLP_{}_ENDPOINT", signal.infix());
    let (named, append) = match (env.get(&specific), env.get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
        (Some(value), _) => (
            Named {
                variable: specific,
                value,
            },
            false,
        ),
        (None, Some(value)) => (
            Named {
                variable: "OTEL_EXPORTER_OTLP_ENDPOINT".into(),
                value,
            },
            true,
        ),
        (None, None) => {
            let (url, source) = match protocol {
                Protocol::Grpc => (
                    format!("http://localhost:4317{}", signal.grpc_path()),
                    "the default gRPC endpoint",
                ),
                _ => (
                    format!("http://localhost:4318/{}", signal.http_path()),
                    "the default OTLP/HTTP endpoint",
                ),
            };
            return Ok((url, source.into()));
        }
    };
    let value = named.value.trim();
    let uri = value
        .parse::<http::Uri>()
        .map_err(|error| invalid(&named, &format!("an http:// or https:// URL ({error})")))?;
    let scheme = uri.scheme_str().unwrap_or_default();
    if !matches!(scheme, "http" | "https") || uri.host().is_none() {
        return Err(invalid(&named, "an http:// or https:// URL with a host"));
    }
    let url = match protocol {
        Protocol::Grpc => format!(
            "{scheme}://{}{}",
            uri.authority().map_or("", |a| a.as_str()),
            signal.grpc_path()
        ),
        _ if append => format!("{}/{}", value.trim_end_matches('/'), signal.http_path()),
        _ => value.to_owned(),
    };
    Ok((url, named.variable))
}

/// `key=value,key=value` (W3C baggage style, values percent-decoded).
/// Anything else is an error naming `name`.
fn header_pairs(env: &Environment, name: &str) -> Result<Vec<(String, String)>, String> {
    let Some(value) = env.get(name) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let bad = |why: &str| format!("{name}: the entry `{entry}` is not valid: {why}");
        let Some((key, raw)) = entry.split_once('=') else {
            return Err(bad("expected key=value"));
        };
        let key = key.trim();
        let is_token = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !is_token {
            return Err(bad("the key is not an HTTP header name"));
        }
        let decoded = percent_decode_str(raw.trim())
            .decode_utf8()
            .map_err(|_| bad("the value is not UTF-8 once percent-decoded"))?;
        if decoded.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(bad("the value has control characters"));
        }
        out.push((key.to_owned(), decoded.into_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)], signal: Signal) -> Result<OtlpSettings, String> {
        OtlpSettings::read(&Environment::from_vars(vars.iter().copied()), signal)
    }

    #[test]
    fn the_general_endpoint_gets_the_signal_path_and_a_specific_one_is_used_as_is() {
        let vars = [
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://collector.example:443/",
            ),
            (
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
                "http://127.0.0.1:9/m",
            ),
        ];
        let traces = read(&vars, Signal::Traces).unwrap();
        assert_eq!(traces.url, "https://collector.example:443/v1/traces");
        assert_eq!(traces.url_source, "OTEL_EXPORTER_OTLP_ENDPOINT");
        let metrics = read(&vars, Signal::Metrics).unwrap();
        assert_eq!(metrics.url, "http://127.0.0.1:9/m");
        assert_eq!(metrics.url_source, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
        let default = read(&[], Signal::Traces).unwrap();
        assert_eq!(default.url, "http://localhost:4318/v1/traces");
        assert_eq!(default.protocol, Protocol::HttpProtobuf);
        assert!(!default.gzip);
        assert_eq!(default.timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn grpc_posts_to_the_service_method_on_the_endpoints_authority() {
        let vars = [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://collector:4317/ignored",
            ),
        ];
        let traces = read(&vars, Signal::Traces).unwrap();
        assert_eq!(traces.protocol, Protocol::Grpc);
        assert_eq!(
            traces.url,
            "https://collector:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export"
        );
        let default = read(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")], Signal::Metrics).unwrap();
        assert_eq!(
            default.url,
            "http://localhost:4317/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
        );
    }

    #[test]
    fn per_signal_variables_win() {
        let vars = [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "none"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "api-key=general,x-team=pay%20ments",
            ),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "API-Key=traces"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "500"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
        ];
        let traces = read(&vars, Signal::Traces).unwrap();
        assert_eq!(traces.protocol, Protocol::HttpJson);
        assert!(traces.gzip);
        assert_eq!(
            traces.headers,
            vec![
                ("x-team".to_owned(), "pay ments".to_owned()),
                ("API-Key".to_owned(), "traces".to_owned()),
            ]
        );
        assert_eq!(traces.timeout, Duration::from_millis(500));
        assert_eq!(
            traces.certificate.map(|c| c.value),
            Some("/etc/ca.pem".to_owned())
        );
        let metrics = read(&vars, Signal::Metrics).unwrap();
        assert_eq!(metrics.protocol, Protocol::Grpc);
        assert!(!metrics.gzip);
        assert_eq!(metrics.headers[0], ("api-key".into(), "general".into()));
        assert_eq!(metrics.timeout, Duration::from_secs(2));
    }

    #[test]
    fn each_value_that_cannot_be_served_is_an_error_naming_its_variable() {
        let cases: [(&[(&str, &str)], &str); 8] = [
            (
                &[("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")],
                "OTEL_EXPORTER_OTLP_PROTOCOL=`thrift` is not valid: expected grpc",
            ),
            (
                &[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/xml")],
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=`http/xml`",
            ),
            (
                &[("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd")],
                "OTEL_EXPORTER_OTLP_COMPRESSION=`zstd` is not valid: expected gzip or none",
            ),
            (
                &[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")],
                "OTEL_EXPORTER_OTLP_ENDPOINT=`collector:4318` is not valid",
            ),
            (
                &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector/")],
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=`ftp://collector/`",
            ),
            (
                &[("OTEL_EXPORTER_OTLP_HEADERS", "api-key")],
                "OTEL_EXPORTER_OTLP_HEADERS: the entry `api-key` is not valid: expected key=value",
            ),
            (
                &[(
                    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                    "x-key=a%0d%0aHost: evil",
                )],
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS: the entry `x-key=a%0d%0aHost: evil` is not \
                 valid: the value has control characters",
            ),
            (
                &[
                    ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/etc/key.pem"),
                    ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
                ],
                "OTEL_EXPORTER_OTLP_CLIENT_KEY is set but OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            ),
        ];
        for (vars, expected) in cases {
            let error = read(vars, Signal::Traces).unwrap_err();
            assert!(error.contains(expected), "{vars:?}: {error}");
        }
        let bad_name = read(
            &[("OTEL_EXPORTER_OTLP_HEADERS", "bad name=v")],
            Signal::Metrics,
        );
        assert!(bad_name.unwrap_err().contains("not an HTTP header name"));
    }
}
