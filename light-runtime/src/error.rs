//! [`Error`]: what a handler returns when it fails.

use std::borrow::Cow;
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

    /// A boxed error; its type is `Error` unless the box holds an
    /// [`InvocationError`], whose type is kept.
    pub fn from_boxed(error: BoxError) -> Self {
        let error_type = match error.downcast_ref::<InvocationError>() {
            Some(inner) => Cow::Owned(inner.error_type().to_owned()),
            None => Cow::Borrowed("Error"),
        };
        Error {
            error_type,
            source: error,
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
            error_type: Cow::Borrowed(short_type_name(std::any::type_name::<E>())),
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

/// Lets closures and layers that return `BoxError` use [`Error`] too; the
/// error type survives as an [`InvocationError`].
impl From<Error> for BoxError {
    fn from(error: Error) -> Self {
        Box::new(error.into_invocation_error())
    }
}
