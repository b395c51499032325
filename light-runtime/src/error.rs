//! [`Error`]: what a handler returns when it fails, and the `errorType`
//! the platform sees for every error a handler may return.
//!
//! A handler may fail with any error that converts into
//! `Box<dyn Error + Send + Sync>`: a concrete error type, a boxed error,
//! `anyhow::Error`, or [`Error`]. The `errorType` is chosen as follows:
//! - a concrete type: its name, `ParseIntError`; a type whose name is just
//!   `Error` keeps its crate or module, `serde_json::Error`, `io::Error`;
//! - [`Error`]: the type it was made with ([`Error::with_type`]);
//! - `anyhow::Error`: with the `anyhow` feature, the type of the root cause
//!   when it is one of the common types below, else `anyhow::Error`;
//! - `Box<dyn Error + Send + Sync>`: a box hides its type, so only the
//!   common types can be recognised (std's `io`, `fmt`, number, UTF-8 and
//!   address parse errors, `serde_json::Error`, `http::Error`, tokio's
//!   `Elapsed`); any other box, and a box made from a string, is `Error`.
//!   Return the concrete type, or an [`Error::with_type`], for a better name.

use std::any::{type_name, Any, TypeId};
use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use runtime_engine::{BoxError, InvocationError};

/// A handler's error: any `std::error::Error`, remembered with its type name
/// so the platform sees a clean `errorType` (`ParseIntError`, not
/// `Box<dyn Error>`).
///
/// Like `anyhow::Error` it converts from every error type with `?`, and so
/// does not itself implement `std::error::Error`.
///
/// ```
/// use light_runtime::Error;
///
/// fn parse(text: &str) -> Result<u32, Error> {
///     Ok(text.parse::<u32>()?) // errorType `ParseIntError`
/// }
/// let error = parse("x").unwrap_err();
/// assert_eq!(error.error_type(), "ParseIntError");
///
/// let custom = Error::with_type("Order.OutOfStock", "item 42 is out of stock");
/// assert_eq!(custom.error_type(), "Order.OutOfStock");
/// ```
pub struct Error {
    error_type: Cow<'static, str>,
    source: BoxError,
}

impl Error {
    /// An error with just a message; its type is `Error`.
    pub fn msg(message: impl fmt::Display) -> Self {
        Error {
            error_type: Cow::Borrowed("Error"),
            source: message.to_string().into(),
        }
    }

    /// An error with an explicit type, e.g. `Order.OutOfStock`.
    pub fn with_type(error_type: impl Into<Cow<'static, str>>, message: impl fmt::Display) -> Self {
        Error {
            error_type: error_type.into(),
            source: message.to_string().into(),
        }
    }

    /// A boxed error; its type is that of an [`InvocationError`] or of one
    /// of the common error types the box holds (see the [module docs](self)),
    /// else `Error`.
    pub fn from_boxed(error: BoxError) -> Self {
        let error_type = known_type_of(&*error).unwrap_or(Cow::Borrowed("Error"));
        Error {
            error_type,
            source: error,
        }
    }

    /// Any error a handler may return, with the best `errorType` that can
    /// be known (see the [module docs](self)).
    pub fn from_handler<E>(error: E) -> Self
    where
        E: Into<BoxError> + 'static,
    {
        let error = match take_as::<Error, E>(error) {
            Ok(error) => return error,
            Err(error) => error,
        };
        #[cfg(feature = "anyhow")]
        let error = match take_as::<anyhow::Error, E>(error) {
            Ok(error) => return Error::from_anyhow(error),
            Err(error) => error,
        };
        let id = TypeId::of::<E>();
        if id == TypeId::of::<BoxError>() {
            return Error::from_boxed(error.into());
        }
        let error_type = if id == TypeId::of::<String>() || id == TypeId::of::<&'static str>() {
            Cow::Borrowed("Error")
        } else {
            type_label(type_name::<E>())
        };
        Error {
            error_type,
            source: error.into(),
        }
    }

    /// An `anyhow::Error`, named after its root cause where that is a
    /// common type, else `anyhow::Error`.
    #[cfg(feature = "anyhow")]
    fn from_anyhow(error: anyhow::Error) -> Self {
        let error_type =
            known_type_of(error.root_cause()).unwrap_or(Cow::Borrowed("anyhow::Error"));
        Error {
            error_type,
            source: error.into(),
        }
    }

    /// The type name the platform will see.
    pub fn error_type(&self) -> &str {
        &self.error_type
    }

    /// The underlying error.
    pub fn source(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.source
    }

    /// The invocation error posted to the platform.
    pub fn into_invocation_error(self) -> InvocationError {
        match self.source.downcast::<InvocationError>() {
            Ok(inner) => *inner,
            Err(source) => InvocationError::handler(self.error_type, source.to_string()),
        }
    }
}

impl<E> From<E> for Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        Error {
            error_type: type_label(type_name::<E>()),
            source: Box::new(error),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.error_type, self.source)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.source)
    }
}

/// `core::any::type_name` without module path or generic arguments.
pub(crate) fn short_type_name(full: &'static str) -> &'static str {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// The `errorType` for a type's full name: its last segment
/// (`ParseIntError`), or, when that is just `Error`, its path without
/// `std`/`core`/`alloc` and private `error` modules (`serde_json::Error`,
/// `io::Error`, `toml::de::Error`).
pub(crate) fn type_label(full: &'static str) -> Cow<'static, str> {
    let short = short_type_name(full);
    if short != "Error" {
        return Cow::Borrowed(short);
    }
    let base = full.split('<').next().unwrap_or(full);
    let path: Vec<&str> = base
        .split("::")
        .filter(|segment| !matches!(*segment, "std" | "core" | "alloc" | "error"))
        .collect();
    match path.len() {
        0 | 1 => Cow::Borrowed(short),
        _ => Cow::Owned(path.join("::")),
    }
}

/// `value` as a `T` if it is one; `value` back otherwise.
fn take_as<T: 'static, V: 'static>(value: V) -> Result<T, V> {
    let mut slot = Some(value);
    if let Some(taken) = (&mut slot as &mut dyn Any).downcast_mut::<Option<T>>() {
        return Ok(taken.take().expect("filled just above"));
    }
    Err(slot.expect("filled just above"))
}

/// The `errorType` of an error known only as `dyn Error`: an
/// [`InvocationError`]'s own type, or the name of a common error type.
fn known_type_of(error: &(dyn StdError + 'static)) -> Option<Cow<'static, str>> {
    if let Some(inner) = error.downcast_ref::<InvocationError>() {
        return Some(Cow::Owned(inner.error_type().to_owned()));
    }
    macro_rules! known {
        ($($type:ty),* $(,)?) => {
            $(if error.is::<$type>() {
                return Some(type_label(type_name::<$type>()));
            })*
        };
    }
    known!(
        std::io::Error,
        std::fmt::Error,
        std::num::ParseIntError,
        std::num::ParseFloatError,
        std::num::TryFromIntError,
        std::str::ParseBoolError,
        std::str::Utf8Error,
        std::string::FromUtf8Error,
        std::net::AddrParseError,
        std::env::VarError,
        std::time::SystemTimeError,
        serde_json::Error,
        http::Error,
        tokio::time::error::Elapsed,
    );
    None
}

/// Lets closures and layers that return `BoxError` use [`Error`] too; the
/// error type survives as an [`InvocationError`].
impl From<Error> for BoxError {
    fn from(error: Error) -> Self {
        Box::new(error.into_invocation_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_labels_keep_a_crate_or_module_for_types_named_error() {
        assert_eq!(
            type_label("core::num::error::ParseIntError"),
            "ParseIntError"
        );
        assert_eq!(type_label("serde_json::error::Error"), "serde_json::Error");
        assert_eq!(type_label("std::io::error::Error"), "io::Error");
        assert_eq!(type_label("core::fmt::Error"), "fmt::Error");
        assert_eq!(type_label("anyhow::Error"), "anyhow::Error");
        assert_eq!(type_label("toml::de::Error"), "toml::de::Error");
        assert_eq!(
            type_label("my_crate::Wrapper<std::io::error::Error>"),
            "Wrapper"
        );
        assert_eq!(type_label("Error"), "Error");
    }

    #[test]
    fn a_box_holding_a_common_error_keeps_its_name() {
        let boxed: BoxError = Box::new(std::io::Error::other("x"));
        assert_eq!(Error::from_boxed(boxed).error_type(), "io::Error");
        let boxed: BoxError = "just text".into();
        assert_eq!(Error::from_boxed(boxed).error_type(), "Error");
        assert_eq!(Error::from_handler("text").error_type(), "Error");
        assert_eq!(
            Error::from_handler(String::from("text")).error_type(),
            "Error"
        );
    }
}
