//! The subscriber layer that writes one line per event.

use std::cell::RefCell;
use std::fmt;
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
#[derive(Clone, Copy)]
struct IdsRef<'a> {
    request_id: &'a str,
    function_name: &'a str,
}

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
    static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(256));
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
        // The invocation span's ids are borrowed while the line is written.
        let invocation = ctx.event_scope(event).and_then(|scope| {
            scope
                .from_root()
                .find(|span| span.extensions().get::<InvocationIds>().is_some())
        });
        let extensions = invocation.as_ref().map(|span| span.extensions());
        let ids = extensions
            .as_ref()
            .and_then(|extensions| extensions.get::<InvocationIds>())
            .map(|ids| IdsRef {
                request_id: &ids.request_id,
                function_name: &ids.function_name,
            });
        LINE.with(|line| {
            let mut line = line.borrow_mut();
            line.clear();
            match self.format {
                LogFormat::Json => self.json(&mut line, event, ids),
                LogFormat::Text => text(&mut line, event, ids),
            }
            line.push(b'\n');
            let _ = self.writer.make_writer().write_all(&line);
        });
    }
}

impl LineLayer {
    fn json(&self, line: &mut Vec<u8>, event: &Event<'_>, ids: Option<IdsRef<'_>>) {
        let names = self.names;
        let meta = event.metadata();
        line.push(b'{');
        key(line, names.timestamp);
        line.push(b'"');
        write_rfc3339(line, SystemTime::now());
        line.extend_from_slice(b"\",");
        key(line, names.level);
        json_string(line, level_name(*meta.level()));
        let mut visitor = JsonVisitor {
            line,
            message_key: names.message,
        };
        event.record(&mut visitor);
        let line = visitor.line;
        if let Some(ids) = ids {
            line.push(b',');
            key(line, names.request_id);
            json_string(line, ids.request_id);
            line.push(b',');
            key(line, names.function_name);
            json_string(line, ids.function_name);
        }
        line.push(b',');
        key(line, names.target);
        json_string(line, meta.target());
        line.push(b'}');
    }
}

fn text(line: &mut Vec<u8>, event: &Event<'_>, ids: Option<IdsRef<'_>>) {
    let meta = event.metadata();
    write_rfc3339(line, SystemTime::now());
    let _ = write!(line, " {} ", level_name(*meta.level()));
    if let Some(ids) = ids {
        let _ = write!(line, "{} {} ", ids.request_id, ids.function_name);
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

/// Whether `name` contains one of [`SECRET_NAMES`], in any case.
fn is_secret(name: &str) -> bool {
    let name = name.as_bytes();
    SECRET_NAMES.iter().any(|secret| {
        name.windows(secret.len())
            .any(|window| window.eq_ignore_ascii_case(secret.as_bytes()))
    })
}

fn key(line: &mut Vec<u8>, name: &str) {
    json_string(line, name);
    line.push(b':');
}

/// `value` as a quoted JSON string.
fn json_string(line: &mut Vec<u8>, value: &str) {
    line.push(b'"');
    JsonEscaped(line).push(value);
    line.push(b'"');
}

/// Appends text JSON-escaped (RFC 8259: quote, backslash and control
/// characters), so `Debug` output is escaped as it is formatted, without
/// an intermediate `String`.
struct JsonEscaped<'a>(&'a mut Vec<u8>);

impl JsonEscaped<'_> {
    fn push(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut plain_from = 0;
        for (at, &byte) in bytes.iter().enumerate() {
            let escape: &[u8] = match byte {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0x00..=0x1f => b"",
                _ => continue,
            };
            self.0.extend_from_slice(&bytes[plain_from..at]);
            plain_from = at + 1;
            if escape.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.0.extend_from_slice(b"\\u00");
                self.0.push(HEX[usize::from(byte >> 4)]);
                self.0.push(HEX[usize::from(byte & 0xf)]);
            } else {
                self.0.extend_from_slice(escape);
            }
        }
        self.0.extend_from_slice(&bytes[plain_from..]);
    }
}

impl fmt::Write for JsonEscaped<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.push(text);
        Ok(())
    }
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
    line: &'a mut Vec<u8>,
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
        self.line.push(b',');
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
        if is_secret(field.name()) {
            return self.record_str(field, "");
        }
        self.line.push(b',');
        key(self.line, self.name(field));
        self.line
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if is_secret(field.name()) {
            return self.record_str(field, "");
        }
        self.line.push(b',');
        key(self.line, self.name(field));
        self.line.push(b'"');
        let _ = fmt::Write::write_fmt(&mut JsonEscaped(self.line), format_args!("{value:?}"));
        self.line.push(b'"');
    }
}

impl JsonVisitor<'_> {
    fn record_number(&mut self, field: &Field, value: impl fmt::Display) {
        if is_secret(field.name()) {
            return self.record_str(field, "");
        }
        self.line.push(b',');
        key(self.line, self.name(field));
        let _ = write!(self.line, "{value}");
    }
}

struct TextVisitor<'a> {
    line: &'a mut Vec<u8>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for text in [
            "",
            "plain",
            "quote \" and backslash \\",
            "lines\nand\ttabs\r",
            "\u{0}\u{1f}\u{8}\u{c}\u{7f}",
            "unicode é ✓ 🦀",
        ] {
            let mut line = Vec::new();
            json_string(&mut line, text);
            assert_eq!(
                String::from_utf8(line).unwrap(),
                serde_json::to_string(text).unwrap()
            );
        }
    }

    #[test]
    fn secret_names_match_in_any_case() {
        assert!(is_secret("db_PASSWORD"));
        assert!(is_secret("Authorization"));
        assert!(is_secret("x_api_key"));
        assert!(!is_secret("request_id"));
        assert!(!is_secret("tok"));
    }
}
