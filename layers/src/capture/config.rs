//! [`CaptureConfig`]: what to capture, how to redact it, where to write it
//! and how much; read from `LIGHT_RUNTIME_CAPTURE*` or built in code.

use std::path::PathBuf;
use std::time::Duration;

use runtime_engine::Environment;

use super::redact::Policy;

/// `off`, `failures` or `failures+sample:RATE`.
pub const CAPTURE_VAR: &str = "LIGHT_RUNTIME_CAPTURE";
/// `dir:PATH` (the default, `dir:/tmp/light-runtime-captures`), `stdout`,
/// or an `http://` URL (PUT to a pre-signed URL, or POST with `post:` first).
pub const SINK_VAR: &str = "LIGHT_RUNTIME_CAPTURE_SINK";
/// Comma-separated JSON pointers into the event to redact.
pub const REDACT_VAR: &str = "LIGHT_RUNTIME_CAPTURE_REDACT";
/// The key of redacted values' `hmac-sha256:` hash; unset: values removed.
pub const KEY_VAR: &str = "LIGHT_RUNTIME_CAPTURE_KEY";
/// Bytes per capture (default 262144).
pub const MAX_BYTES_VAR: &str = "LIGHT_RUNTIME_CAPTURE_MAX_BYTES";
/// Captures per minute (default 10).
pub const RATE_VAR: &str = "LIGHT_RUNTIME_CAPTURE_RATE";
/// Files kept in a `dir:` sink (default 100).
pub const MAX_FILES_VAR: &str = "LIGHT_RUNTIME_CAPTURE_MAX_FILES";

/// Where captures go.
#[derive(Clone, Debug, PartialEq)]
pub enum Sink {
    /// One file per capture, `<time>-<request id>.json`, at most
    /// `max_files` (the oldest removed).
    Dir {
        /// The folder (created if missing).
        path: PathBuf,
        /// Files kept.
        max_files: usize,
    },
    /// One line on stdout, prefixed with [`STDOUT_PREFIX`](super::sink::STDOUT_PREFIX).
    Stdout,
    /// An HTTP request per capture with the JSON as its body.
    Http {
        /// `PUT` (a pre-signed object-store URL) or `POST` (a collector).
        method: &'static str,
        /// `host:port`.
        authority: String,
        /// Path and query.
        path: String,
    },
}

/// The capture layer's settings; see `docs/capture.md`.
#[derive(Clone, Debug)]
pub struct CaptureConfig {
    pub(crate) sample: f64,
    pub(crate) sink: Sink,
    pub(crate) policy: Policy,
    pub(crate) max_bytes: usize,
    pub(crate) per_minute: u32,
    pub(crate) timeout: Duration,
}

impl CaptureConfig {
    /// Failures only, to the default folder, the default bounds, no
    /// pointers and no key.
    pub fn failures() -> Self {
        CaptureConfig {
            sample: 0.0,
            sink: Sink::Dir {
                path: PathBuf::from("/tmp/light-runtime-captures"),
                max_files: 100,
            },
            policy: Policy::new(Vec::new(), None, Vec::new()),
            max_bytes: 256 * 1024,
            per_minute: 10,
            timeout: Duration::from_secs(2),
        }
    }

    /// Also captures this fraction (0 to 1) of successful invocations.
    pub fn sample(mut self, fraction: f64) -> Self {
        self.sample = fraction.clamp(0.0, 1.0);
        self
    }

    /// Writes to `sink`.
    pub fn sink(mut self, sink: Sink) -> Self {
        self.sink = sink;
        self
    }

    /// Redacts these JSON pointers of the event, keyed-hashing with `key`
    /// when given; `known` are values scrubbed wherever they appear.
    pub fn redaction(
        mut self,
        pointers: Vec<String>,
        key: Option<Vec<u8>>,
        known: Vec<String>,
    ) -> Self {
        self.policy = Policy::new(pointers, key, known);
        self
    }

    /// At most `bytes` per capture: the event, then the log lines, are cut.
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes.max(4096);
        self
    }

    /// At most `n` captures per minute (a token bucket of `n`).
    pub fn per_minute(mut self, n: u32) -> Self {
        self.per_minute = n;
        self
    }

    /// The sampled fraction of successes.
    pub fn sampled(&self) -> f64 {
        self.sample
    }

    /// The sink.
    pub fn sink_ref(&self) -> &Sink {
        &self.sink
    }

    /// Reads the `LIGHT_RUNTIME_CAPTURE*` variables. `Ok(None)`: capture
    /// is off (unset or `off`). An error names the variable, the value and
    /// what was expected.
    pub fn from_environment(env: &Environment) -> Result<Option<CaptureConfig>, String> {
        let mode = env.get(CAPTURE_VAR).unwrap_or_default();
        let mode = mode.trim();
        if mode.is_empty() || mode.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        Self::from_environment_on(env, mode).map(Some)
    }

    /// Like [`from_environment`](Self::from_environment) with capture on
    /// (`LIGHT_RUNTIME_LAYERS=capture`): an unset mode is `failures`.
    pub fn from_environment_on(env: &Environment, mode: &str) -> Result<CaptureConfig, String> {
        let mut config = CaptureConfig::failures();
        let mode = if mode.is_empty() { "failures" } else { mode };
        config.sample = parse_mode(mode)?;
        if let Some(sink) = env.get(SINK_VAR) {
            config.sink = parse_sink(&sink)?;
        }
        if let Some(list) = env.get(REDACT_VAR) {
            let pointers = parse_pointers(&list)?;
            config.policy = Policy::new(pointers, None, Vec::new());
        }
        let key = env
            .get(KEY_VAR)
            .filter(|k| !k.is_empty())
            .map(String::into_bytes);
        let known = [
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "ALIBABA_CLOUD_SECURITY_TOKEN",
            "TENCENTCLOUD_SECRETKEY",
            "TENCENTCLOUD_SESSIONTOKEN",
        ]
        .iter()
        .filter_map(|name| env.get(name))
        .collect();
        config.policy = Policy::new(config.policy.pointers().to_vec(), key, known);
        if let Some(v) = env.get(MAX_BYTES_VAR) {
            config.max_bytes = parse_number(MAX_BYTES_VAR, &v, 4096)?;
        }
        if let Some(v) = env.get(RATE_VAR) {
            config.per_minute = u32::try_from(parse_number(RATE_VAR, &v, 1)?).unwrap_or(u32::MAX);
        }
        if let Some(v) = env.get(MAX_FILES_VAR) {
            let n = parse_number(MAX_FILES_VAR, &v, 1)?;
            if let Sink::Dir { max_files, .. } = &mut config.sink {
                *max_files = n;
            }
        }
        Ok(config)
    }
}

fn parse_mode(mode: &str) -> Result<f64, String> {
    let lower = mode.to_ascii_lowercase();
    if lower == "failures" {
        return Ok(0.0);
    }
    let fraction = lower
        .strip_prefix("failures+sample:")
        .and_then(|f| f.parse::<f64>().ok())
        .filter(|f| (0.0..=1.0).contains(f));
    fraction.ok_or_else(|| {
        format!(
            "{CAPTURE_VAR}={mode} is not understood: expected `off`, `failures` or \
             `failures+sample:F` with F between 0 and 1 (for example `failures+sample:0.01`)"
        )
    })
}

fn parse_sink(sink: &str) -> Result<Sink, String> {
    let sink = sink.trim();
    if sink == "stdout" {
        return Ok(Sink::Stdout);
    }
    if let Some(path) = sink.strip_prefix("dir:") {
        if path.is_empty() {
            return Err(format!(
                "{SINK_VAR}=dir: names no folder: expected `dir:/path/to/folder`"
            ));
        }
        return Ok(Sink::Dir {
            path: PathBuf::from(path),
            max_files: 100,
        });
    }
    let (method, url) = match sink.strip_prefix("post:") {
        Some(url) => ("POST", url),
        None => ("PUT", sink),
    };
    if url.starts_with("https://") {
        return Err(format!(
            "{SINK_VAR}={url}: https is not supported by this build's HTTP client yet; \
             use an http:// collector on a trusted network, `dir:PATH` or `stdout`"
        ));
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(format!("{SINK_VAR}={url} names no host"));
        }
        let authority = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        return Ok(Sink::Http {
            method,
            authority,
            path: path.to_owned(),
        });
    }
    Err(format!(
        "{SINK_VAR}={sink} is not understood: expected `dir:PATH`, `stdout`, `http://HOST:PORT/PATH` \
         (PUT, for a pre-signed URL) or `post:http://HOST:PORT/PATH` (a collector)"
    ))
}

fn parse_pointers(list: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for pointer in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if !pointer.starts_with('/') {
            return Err(format!(
                "{REDACT_VAR}: `{pointer}` is not a JSON pointer: each must start with `/` \
                 (for example `/body/card,/headers/x-api-key`)"
            ));
        }
        out.push(pointer.to_owned());
    }
    Ok(out)
}

fn parse_number(var: &str, value: &str, min: usize) -> Result<usize, String> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| format!("{var}={value} is not a whole number of at least {min}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Environment {
        Environment::from_vars(vars.iter().copied())
    }

    #[test]
    fn modes_sinks_and_bounds_are_read_and_bad_values_named() {
        assert!(CaptureConfig::from_environment(&env(&[]))
            .unwrap()
            .is_none());
        assert!(
            CaptureConfig::from_environment(&env(&[(CAPTURE_VAR, "off")]))
                .unwrap()
                .is_none()
        );
        let c = CaptureConfig::from_environment(&env(&[
            (CAPTURE_VAR, "failures+sample:0.25"),
            (SINK_VAR, "post:http://127.0.0.1:4000/c?x=1"),
            (RATE_VAR, "3"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.sample, 0.25);
        assert_eq!(c.per_minute, 3);
        assert_eq!(
            c.sink,
            Sink::Http {
                method: "POST",
                authority: "127.0.0.1:4000".into(),
                path: "/c?x=1".into()
            }
        );
        let bad = CaptureConfig::from_environment(&env(&[(CAPTURE_VAR, "failures+sample:2")]))
            .unwrap_err();
        assert!(
            bad.contains("LIGHT_RUNTIME_CAPTURE=failures+sample:2"),
            "{bad}"
        );
        let https = CaptureConfig::from_environment(&env(&[
            (CAPTURE_VAR, "failures"),
            (SINK_VAR, "https://b/x"),
        ]))
        .unwrap_err();
        assert!(
            https.contains(SINK_VAR) && https.contains("https"),
            "{https}"
        );
        let pointer = CaptureConfig::from_environment(&env(&[
            (CAPTURE_VAR, "failures"),
            (REDACT_VAR, "body/card"),
        ]))
        .unwrap_err();
        assert!(pointer.contains("`body/card`"), "{pointer}");
    }
}
