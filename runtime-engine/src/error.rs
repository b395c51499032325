//! Errors: [`InvocationError`] for one invocation, [`Error`] for the runtime.

use std::borrow::Cow;
use std::fmt;

use crate::phase::Phase;

/// A boxed error, what hooks and layers return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why an invocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The handler returned an error.
    Handler,
    /// The handler panicked.
    Panic,
    /// The event could not be decoded into the handler's event type.
    MalformedEvent,
    /// The handler did not finish before the deadline's safety margin.
    Timeout,
    /// A hook failed or panicked.
    Hook,
    /// A layer or the runtime itself failed (e.g. the response did not serialise).
    Runtime,
}

/// The failure of one invocation: a type, such as `Function.Panic` or the
/// handler error's own type name, and a message that says what failed.
///
/// Adapters send it in the platform's error format; on AWS, `error_type` is
/// the `errorType` of the error body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvocationError {
    kind: ErrorKind,
    error_type: Cow<'static, str>,
    message: String,
}

impl InvocationError {
    /// An error of `kind` with the given type name and message.
    pub fn new(
        kind: ErrorKind,
        error_type: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        InvocationError {
            kind,
            error_type: error_type.into(),
            message: message.into(),
        }
    }

    /// The handler failed with an error of type `error_type`.
    pub fn handler(error_type: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Handler, error_type, message)
    }

    /// The event is not a valid input for the handler.
    pub fn malformed_event(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::MalformedEvent, "Runtime.MalformedEvent", message)
    }

    /// The handler panicked.
    pub fn panic(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Panic, "Function.Panic", message)
    }

    /// The handler ran out of time.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, "Function.Timeout", message)
    }

    /// A hook failed.
    pub fn hook(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Hook, "Runtime.HookFailed", message)
    }

    /// The runtime or a layer failed.
    pub fn runtime(error_type: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Runtime, error_type, message)
    }

    /// Why it failed.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The error type, e.g. `Runtime.MalformedEvent` or `ParseIntError`.
    pub fn error_type(&self) -> &str {
        &self.error_type
    }

    /// What failed, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for InvocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for InvocationError {}

/// The error of a generic tower middleware, which boxes what it is given:
/// an `InvocationError` inside the box comes out as it went in, anything
/// else is a `Runtime.LayerFailed` error. This is the one place an
/// invocation's error is looked for inside a box.
impl From<BoxError> for InvocationError {
    fn from(error: BoxError) -> Self {
        match error.downcast::<InvocationError>() {
            Ok(error) => *error,
            Err(other) => InvocationError::runtime("Runtime.LayerFailed", other.to_string()),
        }
    }
}

/// For services that cannot fail.
impl From<std::convert::Infallible> for InvocationError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// A failure of the runtime as a whole: init failed, the platform is
/// unreachable, configuration is wrong. `run` returns it and the process
/// exits non-zero.
#[derive(Debug)]
pub struct Error {
    kind: RuntimeErrorKind,
    message: String,
    source: Option<BoxError>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RuntimeErrorKind {
    Init(Phase),
    Platform,
    Config,
}

impl Error {
    /// Initialisation failed in `phase` (`RuntimeStart`, `FunctionStart`,
    /// `Snapshot`), or restoring from a snapshot did (`Restore`).
    pub fn init(phase: Phase, message: impl Into<String>) -> Self {
        Error {
            kind: RuntimeErrorKind::Init(phase),
            message: message.into(),
            source: None,
        }
    }

    /// The platform could not be reached or broke its contract.
    pub fn platform(message: impl Into<String>) -> Self {
        Error {
            kind: RuntimeErrorKind::Platform,
            message: message.into(),
            source: None,
        }
    }

    /// Configuration is invalid.
    pub fn config(message: impl Into<String>) -> Self {
        Error {
            kind: RuntimeErrorKind::Config,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Whether initialisation failed.
    pub fn is_init(&self) -> bool {
        matches!(self.kind, RuntimeErrorKind::Init(_))
    }

    /// The phase that failed, for init errors.
    pub fn init_phase(&self) -> Option<Phase> {
        match self.kind {
            RuntimeErrorKind::Init(phase) => Some(phase),
            _ => None,
        }
    }

    /// Whether the platform was unreachable or broke its contract.
    pub fn is_platform(&self) -> bool {
        self.kind == RuntimeErrorKind::Platform
    }

    /// Whether configuration is invalid.
    pub fn is_config(&self) -> bool {
        self.kind == RuntimeErrorKind::Config
    }

    /// The message without the cause.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            RuntimeErrorKind::Init(Phase::Restore) => write!(
                f,
                "restoring from the snapshot failed in Restore: {}",
                self.message
            )?,
            RuntimeErrorKind::Init(phase) => write!(f, "init failed in {phase}: {}", self.message)?,
            RuntimeErrorKind::Platform => write!(f, "platform error: {}", self.message)?,
            RuntimeErrorKind::Config => write!(f, "configuration error: {}", self.message)?,
        }
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}
