//! What `emulate` prints on stdout: per invocation a header line (request
//! id, outcome, timings), the answer, the function's log lines and the
//! breaches; between invocations the init and idle log lines and the
//! instance's starts, freezes and stops.
//!
//! Lines are written whole under one lock, so concurrent invocations do not
//! interleave within a report.

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use super::outcome::Outcome;

/// The longest answer printed in full; longer ones are cut, with their size.
const ANSWER_PRINTED: usize = 2048;

/// Where reports go.
#[derive(Debug)]
pub(crate) struct Report {
    print: bool,
    lock: Mutex<()>,
}

impl Report {
    /// Prints when `print`, otherwise stays silent.
    pub(crate) fn new(print: bool) -> Self {
        Report {
            print,
            lock: Mutex::new(()),
        }
    }

    /// Writes `lines` together.
    fn write(&self, lines: &[String]) {
        if !self.print {
            return;
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = std::io::stdout().lock();
        for line in lines {
            // A closed stdout (the user piped into `head`) must not stop
            // the emulation.
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }

    /// A line about the emulation or its instance: `[emulate] ...`.
    pub(crate) fn note(&self, text: &str) {
        self.write(&[format!("[emulate] {text}")]);
    }

    /// A function log line written while no invocation was in flight;
    /// `phase` is `init` or `idle`.
    pub(crate) fn outside_line(&self, phase: &str, line: &str) {
        self.write(&[format!("[{phase}] {line}")]);
    }

    /// One invocation's report.
    pub(crate) fn invocation(&self, outcome: &Outcome) {
        if !self.print {
            return;
        }
        let status = match &outcome.error {
            None => "ok".to_owned(),
            Some(error) => format!("error {}", error.error_type),
        };
        let mut header = format!("== {} {status}", outcome.request_id);
        if let Some(http) = &outcome.http {
            header.push_str(&format!(" (HTTP {})", http.status));
        }
        if let Some(init) = outcome.timings.init {
            header.push_str(&format!(" init {}", millis(init)));
        }
        header.push_str(&format!(
            " invoke {} total {}",
            millis(outcome.timings.invoke),
            millis(outcome.timings.total)
        ));
        let mut lines = vec![header];
        let body = outcome.body_text();
        if body.len() > ANSWER_PRINTED {
            let cut = (0..=ANSWER_PRINTED)
                .rev()
                .find(|i| body.is_char_boundary(*i))
                .unwrap_or(0);
            lines.push(format!(
                "answer: {}... ({} bytes)",
                &body[..cut],
                outcome.body.len()
            ));
        } else {
            lines.push(format!("answer: {body}"));
        }
        lines.extend(outcome.logs.iter().map(|line| format!("  log | {line}")));
        lines.extend(
            outcome
                .breaches
                .iter()
                .map(|breach| format!("  BREACH: {breach}")),
        );
        self.write(&lines);
    }
}

/// `12.3 ms`.
pub(crate) fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}
