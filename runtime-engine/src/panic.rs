//! Panics become errors with their message and location.
//!
//! `catch_unwind` yields the panic's message but not where it happened, so a
//! process-wide panic hook (installed once, chained to the previous hook so
//! the usual stderr line still appears) notes the location in a thread-local
//! that the catching code reads back on the same thread.

use std::any::Any;
use std::cell::RefCell;
use std::sync::Once;

thread_local! {
    static LAST_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// Installs the location-recording panic hook (idempotent).
pub(crate) fn install_hook() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            LAST_LOCATION.with(|cell| *cell.borrow_mut() = location);
            previous(info);
        }));
    });
}

/// Describes a caught panic: `"<message> at <file>:<line>:<column>"`.
pub(crate) fn describe(payload: &(dyn Any + Send)) -> String {
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
