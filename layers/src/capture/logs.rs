//! The function's log lines for one invocation: a bounded buffer that the
//! capture service puts in a task-local around the invocation, and the
//! `tracing` subscriber layer that fills it.
//!
//! The buffer is created empty (no allocation) for every invocation; it
//! allocates on the first line, so an invocation that logs nothing costs
//! nothing here.

use std::cell::RefCell;
use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context as LayerContext;

/// Lines kept per invocation.
pub(crate) const MAX_LINES: usize = 200;
/// Bytes kept per line.
const MAX_LINE_BYTES: usize = 2048;
/// Bytes kept per invocation.
const MAX_TOTAL_BYTES: usize = 64 * 1024;

tokio::task_local! {
    pub(crate) static LOGS: RefCell<LogBuffer>;
}

/// One invocation's log lines, bounded.
#[derive(Debug, Default)]
pub(crate) struct LogBuffer {
    pub(crate) lines: Vec<String>,
    pub(crate) bytes: usize,
    pub(crate) dropped: u64,
}

impl LogBuffer {
    fn push(&mut self, mut line: String) {
        if self.lines.len() >= MAX_LINES || self.bytes + line.len() > MAX_TOTAL_BYTES {
            self.dropped += 1;
            return;
        }
        if line.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push_str(" [cut]");
        }
        self.bytes += line.len();
        self.lines.push(line);
    }
}

/// The subscriber layer: each `INFO`, `WARN` or `ERROR` event inside a
/// captured invocation becomes a line in its buffer; events elsewhere cost
/// one task-local lookup.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CaptureLogs;

impl<S: Subscriber> tracing_subscriber::Layer<S> for CaptureLogs {
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        // The runtime's own `DEBUG` and `TRACE` lines on every invocation
        // would cost each success a buffer.
        if *event.metadata().level() > Level::INFO {
            return;
        }
        let _ = LOGS.try_with(|cell| {
            // Re-entrant logging (a `Debug` impl that logs) is dropped,
            // not a panic.
            let Ok(mut buffer) = cell.try_borrow_mut() else {
                return;
            };
            let meta = event.metadata();
            let mut line = String::with_capacity(96);
            let _ = write!(line, "{} {}:", meta.level(), meta.target());
            event.record(&mut LineVisitor(&mut line));
            buffer.push(line);
        });
    }
}

struct LineVisitor<'a>(&'a mut String);

impl Visit for LineVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}
