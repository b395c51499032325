//! The subscriber layer that writes one line per event.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::config::LogFormat;
use super::timestamp::write_rfc3339;
use super::INVOCATION_TARGET;

/// Substrings of field names whose values are never written.
const SECRET_NAMES: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "credential",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "cookie",
];

/// The ids an invocation span carries, kept in its extensions.
struct InvocationIds {
    request_id: String,
    function_name: String,
}

/// Writes each event as a JSON or text line; see the module docs of `logging`.
pub(crate) struct LineLayer {
    format: LogFormat,
    names: &'static Names,
    writer: BoxMakeWriter,
}

/// JSON field names: Lambda's on AWS, snake case elsewhere.
struct Names {
    timestamp: &'static str,
    level: &'static str,
    message: &'static str,
    request_id: &'static str,
    function_name: &'static str,
    target: &'static str,
}

const LAMBDA_NAMES: Names = Names {
    timestamp: "timestamp",
    level: "level",
    message: "message",
    request_id: "requestId",
    function_name: "functionName",
    target: "logger",
};

const PLAIN_NAMES: Names = Names {
    timestamp: "timestamp",
    level: "level",
    message: "message",
    request_id: "request_id",
    function_name: "function_name",
    target: "target",
};

thread_local! {
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(256));
}

impl LineLayer {
    pub(crate) fn new(format: LogFormat, lambda_names: bool, writer: BoxMakeWriter) -> Self {
        LineLayer {
            format,
            names: if lambda_names {
                &LAMBDA_NAMES
            } else {
                &PLAIN_NAMES
            },
            writer,
        }
    }
}

impl<S> Layer<S> for LineLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().target() != INVOCATION_TARGET {
            return;
        }
        let mut ids = IdVisitor::default();
        attrs.record(&mut ids);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(InvocationIds {
                request_id: ids.request_id,
                function_name: ids.function_name,
            });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let scope = ctx.event_scope(event);
        let ids = scope.and_then(|scope| {
            scope.from_root().find_map(|span| {
                span.extensions()
                    .get::<InvocationIds>()
                    .map(|ids| (ids.request_id.clone(), ids.function_name.clone()))
            })
        });
        LINE.with(|line| {
            let mut line = line.borrow_mut();
            line.clear();
            match self.format {
                LogFormat::Json => self.json(&mut line, event, ids.as_ref()),
                LogFormat::Text => text(&mut line, event, ids.as_ref()),
            }
            line.push('\n');
            let _ = self.writer.make_writer().write_all(line.as_bytes());
        });
    }
}

impl LineLayer {
    fn json(&self, line: &mut String, event: &Event<'_>, ids: Option<&(String, String)>) {
        let names = self.names;
        let meta = event.metadata();
        line.push('{');
        key(line, names.timestamp);
        line.push('"');
        write_rfc3339(line, SystemTime::now());
        line.push_str("\",");
        key(line, names.level);
        json_string(line, level_name(*meta.level()));
        let mut visitor = JsonVisitor {
            line,
            message_key: names.message,
        };
        event.record(&mut visitor);
        let line = visitor.line;
        if let Some((request_id, function_name)) = ids {
            line.push(',');
            key(line, names.request_id);
            json_string(line, request_id);
            line.push(',');
            key(line, names.function_name);
            json_string(line, function_name);
        }
        line.push(',');
        key(line, names.target);
        json_string(line, meta.target());
        line.push('}');
    }
}

fn text(line: &mut String, event: &Event<'_>, ids: Option<&(String, String)>) {
    let meta = event.metadata();
    write_rfc3339(line, SystemTime::now());
    let _ = write!(line, " {} ", level_name(*meta.level()));
    if let Some((request_id, function_name)) = ids {
        let _ = write!(line, "{request_id} {function_name} ");
    }
    let _ = write!(line, "{}:", meta.target());
    event.record(&mut TextVisitor { line });
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => "INFO",
        Level::WARN => "WARN",
        Level::ERROR => "ERROR",
    }
}

fn is_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_NAMES.iter().any(|secret| lower.contains(secret))
}

fn key(line: &mut String, name: &str) {
    json_string(line, name);
    line.push(':');
}

fn json_string(line: &mut String, value: &str) {
    // serde_json's escaping; writing a &str into a String cannot fail.
    line.push_str(&serde_json::to_string(value).unwrap_or_default());
}

#[derive(Default)]
struct IdVisitor {
    request_id: String,
    function_name: String,
}

impl Visit for IdVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "requestId" => self.request_id = value.to_owned(),
            "functionName" => self.function_name = value.to_owned(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

struct JsonVisitor<'a> {
    line: &'a mut String,
    message_key: &'static str,
}

impl JsonVisitor<'_> {
    fn name<'f>(&self, field: &'f Field) -> &'f str {
        match field.name() {
            "message" => self.message_key,
            name => name,
        }
    }
}

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.line.push(',');
        key(self.line, self.name(field));
        json_string(
            self.line,
            if is_secret(field.name()) {
                "[redacted]"
            } else {
                value
            },
        );
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_number(field, value)
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.record_number(field, value)
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.record_number(field, value)
        } else {
            self.record_debug(field, &value)
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.record_number(field, value)
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

impl JsonVisitor<'_> {
    fn record_number(&mut self, field: &Field, value: impl fmt::Display) {
        if is_secret(field.name()) {
            return self.record_str(field, "");
        }
        self.line.push(',');
        key(self.line, self.name(field));
        let _ = write!(self.line, "{value}");
    }
}

struct TextVisitor<'a> {
    line: &'a mut String,
}

impl Visit for TextVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.line, " {value:?}");
        } else if is_secret(field.name()) {
            let _ = write!(self.line, " {}=[redacted]", field.name());
        } else {
            let _ = write!(self.line, " {}={value:?}", field.name());
        }
    }
}
