//! Panics become errors with their message and location.
//!
//! `catch_unwind` yields the panic's message but not where it happened, so a
//! process-wide panic hook (installed once) notes the location in a
//! thread-local that the catching code reads back on the same thread. While
//! the engine is the one catching (handler polls, hook calls), the previous
//! hook's stderr print is skipped: the panic is reported once, as the
//! invocation's error and a log line, not as an extra backtrace dump.
//! Panics anywhere else still reach the previous hook unchanged.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, UnwindSafe};
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

thread_local! {
    static LAST_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

static INSTALL: Once = Once::new();

/// Installs the location-recording panic hook (idempotent); [`describe`]
/// names the location only once it is installed.
pub fn install_hook() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            LAST_LOCATION.with(|cell| *cell.borrow_mut() = location);
            if !CATCHING.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, catching a panic; the caller reports it (see [`describe`]), so
/// it is not printed.
pub fn catch<R>(f: impl FnOnce() -> R + UnwindSafe) -> std::thread::Result<R> {
    // One thread-local lookup for both the set and the restore: in a
    // plugin (a shared library) each lookup is a `__tls_get_addr` call.
    CATCHING.with(|catching| {
        let was = catching.replace(true);
        let result = std::panic::catch_unwind(f);
        catching.set(was);
        result
    })
}

pin_project_lite::pin_project! {
    /// A future whose polls are caught like [`catch`].
    pub(crate) struct CatchPanic<F> {
        #[pin]
        inner: F,
    }
}

impl<F> CatchPanic<F> {
    pub(crate) fn new(inner: F) -> Self {
        CatchPanic { inner }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        match catch(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// Describes a caught panic: `"<message> at <file>:<line>:<column>"`.
pub fn describe(payload: &(dyn Any + Send)) -> String {
    let message = if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-string payload".to_owned()
    };
    match LAST_LOCATION.with(|cell| cell.borrow_mut().take()) {
        Some(location) => format!("{message} at {location}"),
        None => message,
    }
}
