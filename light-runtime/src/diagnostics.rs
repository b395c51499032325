//! The runtime's own warnings and errors on stderr when nothing else would
//! print them.
//!
//! The runtime reports what goes wrong around a function (a refused
//! extension registration, so SIGTERM will never arrive; an event that
//! cannot be answered; a dropped telemetry export; a failing hook) through
//! `tracing`. With no subscriber installed those events go nowhere. So when
//! a run starts and the process has no global subscriber, the runtime
//! installs [`RuntimeDiagnostics`]: a small subscriber that writes the
//! runtime's own `WARN` and `ERROR` events (targets `runtime_engine` and
//! `light_runtime*`) to stderr, one line each, and ignores everything else.
//!
//! Each event is printed once:
//! - the user's own subscriber, installed before the run, gets them instead
//!   (nothing is installed next to it);
//! - the logging layer (in code or in `LIGHT_RUNTIME_LAYERS`) installs its
//!   subscriber while the run is set up, and prints them instead; the few
//!   events emitted during set-up, before it exists, are printed by the
//!   fallback, scoped to set-up only.
//!
//! A subscriber the user installs *after* the run has started cannot be the
//! global one any more: `tracing` allows one global subscriber per process,
//! and the fallback is it. `try_init` then returns an error and `init`
//! panics. Install your subscriber before calling `run`.
//!
//! Lines follow the platform's log format: JSON when
//! `LIGHT_RUNTIME_LOG_FORMAT=json`, or on AWS when
//! `AWS_LAMBDA_LOG_FORMAT=JSON` (with Lambda's field names `timestamp`,
//! `level`, `message`, `requestId`, `logger`, as the logging layer writes
//! them); text otherwise (`timestamp LEVEL target: message key=value`).

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use runtime_engine::Environment;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::{Interest, NoSubscriber};
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

/// The `tracing` targets of the runtime's own events.
const RUNTIME_TARGETS: [&str; 2] = ["runtime_engine", "light_runtime"];

/// Runs `setup` with the fallback as the thread's subscriber when the
/// process has no global one, so set-up warnings are not lost while the
/// logging layer's subscriber is not yet installed.
pub(crate) fn during_setup<T>(env: &Environment, setup: impl FnOnce() -> T) -> T {
    if has_subscriber() {
        return setup();
    }
    let fallback = Dispatch::new(RuntimeDiagnostics::from_environment(env));
    tracing::dispatcher::with_default(&fallback, setup)
}

/// Installs the fallback as the global subscriber unless the process has
/// one (the user's, or the layers'). Returns whether it was installed.
pub(crate) fn install_fallback(env: &Environment) -> bool {
    if has_subscriber() {
        return false;
    }
    let fallback = RuntimeDiagnostics::from_environment(env);
    tracing::subscriber::set_global_default(fallback).is_ok()
}

/// Whether this thread's events reach a subscriber: the global one or a
/// scoped one. (`tracing::dispatcher::has_been_set` also counts scoped
/// subscribers that are gone.)
fn has_subscriber() -> bool {
    tracing::dispatcher::get_default(|current| !current.is::<NoSubscriber>())
}

/// Writes the runtime's own warnings and errors to stderr; see the
/// [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RuntimeDiagnostics {
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    /// One JSON object per line; `lambda_names` picks Lambda's field names.
    Json {
        lambda_names: bool,
    },
}

impl RuntimeDiagnostics {
    /// The platform's format, read from `env` as the logging layer reads it.
    pub(crate) fn from_environment(env: &Environment) -> Self {
        let is_json = |var: &str| {
            env.get(var)
                .map(|value| value.trim().to_ascii_lowercase())
                .filter(|value| value == "json" || value == "text")
        };
        let json = match is_json("LIGHT_RUNTIME_LOG_FORMAT") {
            Some(format) => format == "json",
            None => is_json("AWS_LAMBDA_LOG_FORMAT").is_some_and(|format| format == "json"),
        };
        let format = if json {
            Format::Json {
                lambda_names: env.contains("AWS_LAMBDA_RUNTIME_API"),
            }
        } else {
            Format::Text
        };
        RuntimeDiagnostics { format }
    }

    fn wants(metadata: &Metadata<'_>) -> bool {
        metadata.is_event()
            && *metadata.level() <= Level::WARN
            && RUNTIME_TARGETS
                .iter()
                .any(|target| metadata.target().starts_with(target))
    }

    /// The event as one line, without the newline.
    fn line(&self, event: &Event<'_>) -> String {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let time = humantime::format_rfc3339_millis(SystemTime::now().max(UNIX_EPOCH));
        let level = meta.level().as_str();
        match self.format {
            Format::Text => {
                let mut line = format!("{time} {level} {}: {}", meta.target(), fields.message);
                for (name, value) in &fields.others {
                    let _ = write!(line, " {name}={value}");
                }
                line
            }
            Format::Json { lambda_names } => {
                let (request_id, logger) = match lambda_names {
                    true => ("requestId", "logger"),
                    false => ("request_id", "target"),
                };
                // Written in Lambda's order (serde_json's map would sort the keys).
                let mut line = String::from("{");
                let mut entry = |name: &str, value: &str| {
                    if line.len() > 1 {
                        line.push(',');
                    }
                    let _ = write!(
                        line,
                        "{}:{}",
                        serde_json::Value::from(name),
                        serde_json::Value::from(value)
                    );
                };
                entry("timestamp", &time.to_string());
                entry("level", level);
                entry("message", &fields.message);
                for (name, value) in &fields.others {
                    entry(
                        if *name == "request_id" {
                            request_id
                        } else {
                            name
                        },
                        value,
                    );
                }
                entry(logger, meta.target());
                line.push('}');
                line
            }
        }
    }
}

impl Subscriber for RuntimeDiagnostics {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if Self::wants(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        Self::wants(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::WARN)
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        // Never called: no span is enabled. An id is still required.
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = self.line(event);
        line.push('\n');
        // One write per line, so lines from several threads do not interleave.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

/// An event's message and its other fields as text, in recorded order.
#[derive(Default)]
struct Fields {
    message: String,
    others: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            name => self.others.push((name, value.to_owned())),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // A `Debug` that fails midway keeps what it wrote: a line never panics.
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        self.record_str(field, &text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostics(vars: &[(&str, &str)]) -> RuntimeDiagnostics {
        RuntimeDiagnostics::from_environment(&Environment::from_vars(vars.iter().copied()))
    }

    #[test]
    fn the_format_follows_the_platforms_variables() {
        assert_eq!(diagnostics(&[]).format, Format::Text);
        let aws_json = diagnostics(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ]);
        assert_eq!(aws_json.format, Format::Json { lambda_names: true });
        let forced_text = diagnostics(&[
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("LIGHT_RUNTIME_LOG_FORMAT", "text"),
        ]);
        assert_eq!(forced_text.format, Format::Text);
        let plain_json = diagnostics(&[("LIGHT_RUNTIME_LOG_FORMAT", "json")]);
        assert_eq!(
            plain_json.format,
            Format::Json {
                lambda_names: false
            }
        );
    }

    #[test]
    fn only_the_runtimes_own_warnings_and_errors_are_wanted() {
        use tracing::callsite::Identifier;
        struct Site;
        impl tracing::callsite::Callsite for Site {
            fn set_interest(&self, _: Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                unreachable!()
            }
        }
        static SITE: Site = Site;
        let meta = |target: &'static str, level: Level| {
            Metadata::new(
                "event",
                target,
                level,
                None,
                None,
                None,
                tracing::field::FieldSet::new(&[], Identifier(&SITE)),
                tracing::metadata::Kind::EVENT,
            )
        };
        let wants = |target, level| RuntimeDiagnostics::wants(&meta(target, level));
        assert!(wants(
            "light_runtime_adapters::aws_lambda::extension",
            Level::WARN
        ));
        assert!(wants("runtime_engine::invoke", Level::ERROR));
        assert!(wants("light_runtime::builder", Level::ERROR));
        assert!(!wants("light_runtime::builder", Level::INFO));
        assert!(!wants("my_function", Level::ERROR));
        assert!(!wants("hyper::proto", Level::WARN));
    }

    /// Keeps the lines the fallback would write.
    struct Capture(RuntimeDiagnostics, std::sync::Mutex<Vec<String>>);

    impl Subscriber for Capture {
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            RuntimeDiagnostics::wants(metadata)
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            self.1.lock().unwrap().push(self.0.line(event));
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn lines_of(vars: &[(&str, &str)]) -> Vec<String> {
        let capture = std::sync::Arc::new(Capture(diagnostics(vars), Default::default()));
        tracing::subscriber::with_default(capture.clone(), || {
            tracing::warn!(target: "runtime_engine::phase_runner", request_id = "r-1", hook = "audit", "hook failed");
            tracing::warn!(target: "my_function", "not ours");
        });
        let lines = capture.1.lock().unwrap().clone();
        lines
    }

    #[test]
    fn lines_carry_the_fields_under_the_platforms_names() {
        let json = lines_of(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ]);
        assert_eq!(json.len(), 1, "{json:?}");
        let line: serde_json::Value = serde_json::from_str(&json[0]).unwrap();
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "hook failed");
        assert_eq!(line["requestId"], "r-1");
        assert_eq!(line["hook"], "audit");
        assert_eq!(line["logger"], "runtime_engine::phase_runner");
        assert!(json[0].starts_with("{\"timestamp\":"), "{json:?}");

        let text = lines_of(&[]);
        assert!(
            text[0].ends_with(
                " WARN runtime_engine::phase_runner: hook failed request_id=r-1 hook=audit"
            ),
            "{text:?}"
        );
    }
}
