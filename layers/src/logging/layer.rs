//! [`LoggingLayer`] and the variables it reads.

use std::sync::{Arc, Mutex};

use runtime_engine::Environment;
use runtime_engine::{FunctionInfo, Platform};
use tower_layer::Layer;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::{EnvFilter, Layer as _};

use super::line::{LineLayer, LogFormat};
use super::service::Logging;
use super::INVOCATION_TARGET;
use crate::subscriber::SubscriberLayer;
use crate::variables;
use crate::LifecycleLayer;

/// Lambda's level variable (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`).
pub const AWS_LEVEL_VAR: &str = "AWS_LAMBDA_LOG_LEVEL";
/// Lambda's format variable (`Text` or `JSON`).
pub const AWS_FORMAT_VAR: &str = "AWS_LAMBDA_LOG_FORMAT";
/// Overrides the format on any platform: `json` or `text`.
pub const FORMAT_VAR: &str = "LIGHT_RUNTIME_LOG_FORMAT";
/// `true` logs each invocation's payload at `debug` level.
pub const PAYLOADS_VAR: &str = "LIGHT_RUNTIME_LOG_PAYLOADS";

/// Sets up logging; see the [module docs](super).
///
/// ```
/// use light_runtime_layers::logging::{LogFormat, LoggingLayer};
///
/// let logging = LoggingLayer::new().with_format(LogFormat::Json).with_level("debug");
/// # let _ = logging;
/// ```
#[derive(Clone)]
pub struct LoggingLayer {
    pub(crate) settings: Arc<Settings>,
}

pub(crate) struct Settings {
    pub(crate) level: String,
    pub(crate) format: LogFormat,
    /// `None`: Lambda's names when the function runs on AWS.
    pub(crate) aws_names: Option<bool>,
    pub(crate) log_payloads: bool,
    pub(crate) writer: Mutex<Option<BoxMakeWriter>>,
}

impl std::fmt::Debug for LoggingLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggingLayer")
            .field("level", &self.settings.level)
            .field("format", &self.settings.format)
            .field("log_payloads", &self.settings.log_payloads)
            .finish_non_exhaustive()
    }
}

impl Default for LoggingLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl LoggingLayer {
    /// Text lines at `info` to stdout; payloads not logged.
    pub fn new() -> Self {
        LoggingLayer {
            settings: Arc::new(Settings {
                level: "info".into(),
                format: LogFormat::Text,
                aws_names: None,
                log_payloads: false,
                writer: Mutex::new(None),
            }),
        }
    }

    /// Reads the process environment; see [`from_environment`](Self::from_environment).
    pub fn from_env() -> Self {
        Self::from_environment(&Environment::process())
    }

    /// Reads the level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` (full
    /// `EnvFilter` syntax), else `info`; the format from
    /// `LIGHT_RUNTIME_LOG_FORMAT`, else `AWS_LAMBDA_LOG_FORMAT`, else text;
    /// payload logging from `LIGHT_RUNTIME_LOG_PAYLOADS`. Invalid values
    /// warn and fall back to the default.
    pub fn from_environment(env: &Environment) -> Self {
        let level = if env.contains(AWS_LEVEL_VAR) {
            let choices = ["trace", "debug", "info", "warn", "error", "fatal"];
            match variables::choice(env, AWS_LEVEL_VAR, &choices, "info") {
                "fatal" => "error".to_owned(),
                chosen => chosen.to_owned(),
            }
        } else {
            env.get("RUST_LOG").unwrap_or_else(|| "info".into())
        };
        let aws_format = variables::choice(env, AWS_FORMAT_VAR, &["json", "text"], "text");
        let format = match variables::choice(env, FORMAT_VAR, &["json", "text"], aws_format) {
            "json" => LogFormat::Json,
            _ => LogFormat::Text,
        };
        Self::new()
            .with_level(level)
            .with_format(format)
            .log_payloads(variables::flag(env, PAYLOADS_VAR, false))
    }

    fn settings_mut(&mut self) -> &mut Settings {
        Arc::get_mut(&mut self.settings).expect("LoggingLayer is configured before it is cloned")
    }

    /// Sets the level or `EnvFilter` directives (`info`, `my_crate=debug,warn`).
    pub fn with_level(mut self, level: impl Into<String>) -> Self {
        self.settings_mut().level = level.into();
        self
    }

    /// Sets the line format.
    pub fn with_format(mut self, format: LogFormat) -> Self {
        self.settings_mut().format = format;
        self
    }

    /// Forces Lambda's JSON field names (`requestId`) on or off; by default
    /// they are used when the function runs on AWS.
    pub fn with_lambda_field_names(mut self, on: bool) -> Self {
        self.settings_mut().aws_names = Some(on);
        self
    }

    /// Logs each invocation's payload at `debug` level. Off by default:
    /// payloads often hold personal data.
    pub fn log_payloads(mut self, on: bool) -> Self {
        self.settings_mut().log_payloads = on;
        self
    }

    /// Writes lines to `writer` instead of stdout (tests, files).
    pub fn with_writer<W>(self, writer: W) -> Self
    where
        W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
    {
        *self
            .settings
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(BoxMakeWriter::new(writer));
        self
    }

    /// The format lines are written in.
    pub fn format(&self) -> LogFormat {
        self.settings.format
    }

    /// The subscriber layer that writes lines for `function`, filtered by the level.
    pub fn line_layer(&self, function: &FunctionInfo) -> SubscriberLayer {
        let settings = &self.settings;
        let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|error| {
            variables::warn_invalid(
                "the log level",
                &settings.level,
                &format!("a level or RUST_LOG directives ({error})"),
                "info",
            );
            EnvFilter::new("info")
        });
        let directive = format!("{INVOCATION_TARGET}=trace")
            .parse()
            .expect("a valid directive");
        let filter = filter.add_directive(directive);
        let writer = settings
            .writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_else(|| BoxMakeWriter::new(std::io::stdout));
        let aws_names = settings
            .aws_names
            .unwrap_or(function.platform == Platform::AwsLambda);
        let line = LineLayer::new(settings.format, aws_names, writer);
        SubscriberLayer::new(line.with_filter(filter))
    }
}

impl<S> Layer<S> for LoggingLayer {
    type Service = Logging<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Logging::new(inner, self.settings.log_payloads)
    }
}

impl LifecycleLayer for LoggingLayer {
    fn name(&self) -> &'static str {
        "logging"
    }

    fn subscriber_layer(&self, function: &FunctionInfo) -> Option<SubscriberLayer> {
        Some(self.line_layer(function))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> LoggingLayer {
        LoggingLayer::from_environment(&Environment::from_vars(
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
        ))
    }

    #[test]
    fn lambdas_level_wins_over_rust_log() {
        let layer = read(&[(AWS_LEVEL_VAR, "WARN"), ("RUST_LOG", "debug")]);
        assert_eq!(layer.settings.level, "warn");
        let layer = read(&[("RUST_LOG", "my_crate=debug,warn")]);
        assert_eq!(layer.settings.level, "my_crate=debug,warn");
        assert_eq!(read(&[]).settings.level, "info");
    }

    #[test]
    fn every_lambda_level_is_read_and_fatal_keeps_errors_only() {
        for (given, level) in [
            ("TRACE", "trace"),
            ("DEBUG", "debug"),
            ("INFO", "info"),
            ("WARN", "warn"),
            ("ERROR", "error"),
            ("FATAL", "error"),
            ("fatal", "error"),
        ] {
            assert_eq!(
                read(&[(AWS_LEVEL_VAR, given)]).settings.level,
                level,
                "{given}"
            );
        }
        // Not one of Lambda's: the default, with a warning.
        assert_eq!(read(&[(AWS_LEVEL_VAR, "loud")]).settings.level, "info");
    }

    #[test]
    fn lambdas_format_is_read_and_the_light_runtime_variable_wins() {
        assert_eq!(read(&[(AWS_FORMAT_VAR, "JSON")]).format(), LogFormat::Json);
        assert_eq!(read(&[(AWS_FORMAT_VAR, "Text")]).format(), LogFormat::Text);
        assert_eq!(read(&[]).format(), LogFormat::Text);
        let both = read(&[(AWS_FORMAT_VAR, "JSON"), (FORMAT_VAR, "text")]);
        assert_eq!(both.format(), LogFormat::Text);
        let both = read(&[(AWS_FORMAT_VAR, "Text"), (FORMAT_VAR, "json")]);
        assert_eq!(both.format(), LogFormat::Json);
    }

    #[test]
    fn setters_after_the_variables_win() {
        let layer = read(&[(AWS_LEVEL_VAR, "ERROR"), (AWS_FORMAT_VAR, "JSON")])
            .with_level("debug")
            .with_format(LogFormat::Text);
        assert_eq!(layer.settings.level, "debug");
        assert_eq!(layer.format(), LogFormat::Text);
    }
}
