//! The function's stdout and stderr, read line by line and given to the
//! invocation in flight when they were written; lines written between
//! invocations are printed at once as init or idle logs.
//!
//! The pipes are read by a task as data arrives, and [`Logs::drain`] reads
//! whatever is left in them without waiting: once the process is frozen
//! (SIGSTOP) nothing more can be written, so a drain then sees every line
//! the invocation wrote, however late the reading task would have been.
//! With several invocations in flight at once (FC, HTTP) a line that names
//! one request id goes to that invocation and any other line to each of
//! them: the process's output cannot tell more.

use std::io;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::unix::pipe;

use super::report::Report;

/// The most lines kept for one invocation; later ones are counted, not kept.
const MAX_LINES: usize = 10_000;

/// A line longer than this without a newline is cut into lines of this size.
const MAX_LINE: usize = 64 * 1024;

/// The function's output, being read.
#[derive(Debug)]
pub(crate) struct Logs {
    book: Arc<Book>,
    streams: [Arc<Stream>; 2],
    readers: [tokio::task::JoinHandle<()>; 2],
}

#[derive(Debug)]
struct Stream {
    pipe: pipe::Receiver,
    partial: Mutex<Vec<u8>>,
}

#[derive(Debug)]
struct Book {
    state: Mutex<BookState>,
    report: Arc<Report>,
}

#[derive(Debug, Default)]
struct BookState {
    /// Whether init is over: lines outside invocations are then idle logs.
    ready: bool,
    /// The invocations in flight and their lines so far (and how many
    /// lines were dropped past [`MAX_LINES`]).
    in_flight: Vec<(String, Vec<String>, usize)>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Logs {
    /// Two pipes for the function's stdout and stderr, and their reading
    /// tasks; give the two [`Stdio`]s to the child.
    pub(crate) fn capture(report: Arc<Report>) -> io::Result<(Logs, Stdio, Stdio)> {
        let book = Arc::new(Book {
            state: Mutex::default(),
            report,
        });
        let (out_tx, out_rx) = pipe::pipe()?;
        let (err_tx, err_rx) = pipe::pipe()?;
        let stdout = Stdio::from(out_tx.into_blocking_fd()?);
        let stderr = Stdio::from(err_tx.into_blocking_fd()?);
        let streams = [out_rx, err_rx].map(|pipe| {
            Arc::new(Stream {
                pipe,
                partial: Mutex::default(),
            })
        });
        let readers = [0, 1].map(|i| tokio::spawn(read(streams[i].clone(), book.clone())));
        Ok((
            Logs {
                book,
                streams,
                readers,
            },
            stdout,
            stderr,
        ))
    }

    /// Init is over: lines outside invocations are idle logs from now on.
    pub(crate) fn ready(&self) {
        lock(&self.book.state).ready = true;
    }

    /// Lines from now on belong to invocation `request_id` (too).
    pub(crate) fn begin(&self, request_id: &str) {
        lock(&self.book.state)
            .in_flight
            .push((request_id.to_owned(), Vec::new(), 0));
    }

    /// Reads what is in the pipes now, without waiting.
    pub(crate) fn drain(&self) {
        for stream in &self.streams {
            stream.pump(&self.book);
        }
    }

    /// The lines of invocation `request_id`; later lines are not its.
    pub(crate) fn end(&self, request_id: &str) -> Vec<String> {
        let mut state = lock(&self.book.state);
        let Some(at) = state.in_flight.iter().position(|(id, ..)| id == request_id) else {
            return Vec::new();
        };
        let (_, mut lines, dropped) = state.in_flight.remove(at);
        if dropped > 0 {
            lines.push(format!(
                "({dropped} more lines not kept: {MAX_LINES} per invocation)"
            ));
        }
        lines
    }
}

impl Drop for Logs {
    fn drop(&mut self) {
        for reader in &self.readers {
            reader.abort();
        }
    }
}

/// Reads `stream` as data arrives, until end of file.
async fn read(stream: Arc<Stream>, book: Arc<Book>) {
    loop {
        if stream.pipe.readable().await.is_err() {
            return;
        }
        if stream.pump(&book) {
            return;
        }
    }
}

impl Stream {
    /// Reads what is there now and files each whole line; `true` at end of
    /// file (the partial last line is then filed too).
    fn pump(&self, book: &Book) -> bool {
        let mut partial = lock(&self.partial);
        let mut buffer = [0u8; 8192];
        loop {
            match self.pipe.try_read(&mut buffer) {
                Ok(0) => {
                    if !partial.is_empty() {
                        let line = String::from_utf8_lossy(&partial).into_owned();
                        partial.clear();
                        book.file(line);
                    }
                    return true;
                }
                Ok(read) => {
                    partial.extend_from_slice(&buffer[..read]);
                    while let Some(end) = partial
                        .iter()
                        .position(|b| *b == b'\n')
                        .or((partial.len() >= MAX_LINE).then_some(MAX_LINE - 1))
                    {
                        let line: Vec<u8> = partial.drain(..=end).collect();
                        let line = String::from_utf8_lossy(&line);
                        book.file(line.trim_end_matches(['\n', '\r']).to_owned());
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return false,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return true,
            }
        }
    }
}

impl Book {
    /// Gives `line` to the invocation(s) in flight, or prints it.
    fn file(&self, line: String) {
        let mut state = lock(&self.state);
        let phase = if state.ready { "idle" } else { "init" };
        let named = state
            .in_flight
            .iter()
            .position(|(id, ..)| line.contains(id.as_str()));
        let keep = |entry: &mut (String, Vec<String>, usize), line: String| {
            if entry.1.len() < MAX_LINES {
                entry.1.push(line);
            } else {
                entry.2 += 1;
            }
        };
        match (state.in_flight.len(), named) {
            (0, _) => {
                drop(state);
                self.report.outside_line(phase, &line);
            }
            (_, Some(at)) => keep(&mut state.in_flight[at], line),
            _ => {
                for entry in &mut state.in_flight {
                    keep(entry, line.clone());
                }
            }
        }
    }
}
