//! Handlers: an `async fn(Event, Context) -> Result<Response, E>`, or any
//! `tower::Service<Invocation>`.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use runtime_engine::{BoxError, Context, Invocation, InvocationError, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower::Service;

use crate::error::Error;
use crate::event;

/// Something that can serve invocations: implemented for async functions
/// `Fn(E, Context) -> impl Future<Output = Result<R, Err>>` (with
/// `E: DeserializeOwned`, `R: Serialize`, and `Err` any error that converts
/// into `Box<dyn Error + Send + Sync>`: a `std::error::Error` type, a boxed
/// error, `anyhow::Error` or [`Error`]; see [`crate::error`] for the
/// `errorType` each gets), for such functions returning their own
/// [`Response`] (a streamed one, see [`ResponseFnHandler`]), for HTTP
/// functions and tower HTTP services such as an axum `Router` (see
/// [`crate::http`]), and for any
/// `tower::Service<Invocation, Response = Response>`.
///
/// `M` only tells the two apart; callers never name it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a light-runtime handler",
    label = "not an `async fn(Event, Context) -> Result<Response, E>` light-runtime can serve",
    note = "a handler is an `async fn(Event, Context) -> Result<Response, E>` where `Event: Deserialize`, \
            `Response: Serialize` and `E: Into<Box<dyn std::error::Error + Send + Sync>>` \
            (any `std::error::Error + Send + Sync`, `Box<dyn Error + Send + Sync>`, `anyhow::Error` \
            or `light_runtime::Error`); a `Box<dyn Error>` without `+ Send + Sync` is the usual culprit",
    note = "HTTP functions take `http::Request<Bytes>` (or `light_runtime::http::Body`) and return \
            `http::Response<Bytes>` (or `Body`, `String`, `Vec<u8>`); tower services must be \
            `Service<Invocation, Response = Response> + Clone + Send`, or HTTP services \
            `Service<http::Request<light_runtime::http::Body>> + Clone + Send` such as an axum `Router`"
)]
pub trait Handler<M>: Sized {
    /// The handler as a service over raw invocations.
    type Service: Service<Invocation, Response = Response, Error = Self::Error, Future = Self::Future>
        + Clone
        + Send
        + 'static;
    /// The service's error: an [`InvocationError`], or anything that
    /// converts into one (a `BoxError` does).
    type Error: Into<InvocationError>;
    /// The service's future.
    type Future: Future<Output = Result<Response, Self::Error>> + Send + 'static;

    /// Converts the handler into its service.
    fn into_service(self) -> Self::Service;
}

/// Marks handlers that are async functions of `(E, Context)`.
#[derive(Debug)]
pub struct AsyncFnHandler<E, R, Err>(PhantomData<fn(E) -> (R, Err)>);

/// Marks handlers that are tower services.
#[derive(Debug)]
pub struct ServiceHandler;

/// Marks handlers that are async functions of `(E, Context)` building their
/// own [`Response`], e.g. a streamed one ([`Response::stream`]).
#[derive(Debug)]
pub struct ResponseFnHandler<E, Err>(PhantomData<fn(E) -> Err>);

/// An async function that builds its own [`Response`] is a handler too:
/// `async fn(E, Context) -> Result<Response, Err>`. Its response is sent as
/// it is, not encoded as JSON: this is how an event function streams.
///
/// ```no_run
/// use bytes::Bytes;
/// use light_runtime::{BoxError, Context, Error, Response};
/// use serde_json::Value;
///
/// async fn count(_event: Value, _ctx: Context) -> Result<Response, Error> {
///     let (lines, body) = tokio::sync::mpsc::channel::<Result<Bytes, BoxError>>(4);
///     tokio::spawn(async move {
///         for n in 1..=3 {
///             let _ = lines.send(Ok(Bytes::from(format!("line {n}\n")))).await;
///         }
///     });
///     Ok(Response::stream("text/plain", Lines(body)))
/// }
/// # struct Lines(tokio::sync::mpsc::Receiver<Result<Bytes, BoxError>>);
/// # impl futures_core::Stream for Lines {
/// #     type Item = Result<Bytes, BoxError>;
/// #     fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
/// #         self.0.poll_recv(cx)
/// #     }
/// # }
///
/// # async fn run() -> Result<(), light_runtime::RuntimeError> {
/// light_runtime::run(count).await
/// # }
/// ```
impl<F, Fut, E, Err> Handler<ResponseFnHandler<E, Err>> for F
where
    F: Fn(E, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response, Err>> + Send + 'static,
    E: DeserializeOwned + Send + 'static,
    Err: Into<BoxError> + Send + 'static,
{
    type Service = FnService<F, E, AsBuilt>;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn into_service(self) -> Self::Service {
        FnService::new(self)
    }
}

impl<F, Fut, E, R, Err> Handler<AsyncFnHandler<E, R, Err>> for F
where
    F: Fn(E, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, Err>> + Send + 'static,
    E: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    Err: Into<BoxError> + Send + 'static,
{
    type Service = FnService<F, E, Json>;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn into_service(self) -> Self::Service {
        FnService::new(self)
    }
}

impl<S> Handler<ServiceHandler> for S
where
    S: Service<Invocation, Response = Response> + Clone + Send + 'static,
    S::Error: Into<InvocationError>,
    S::Future: Send + 'static,
{
    type Service = S;
    type Error = S::Error;
    type Future = S::Future;

    fn into_service(self) -> Self::Service {
        self
    }
}

/// An async function as a service: decodes the event, calls the function,
/// and answers with what it returned, the way `A` says: encoded as JSON
/// ([`Json`]) or, for a function building its own [`Response`], as it is
/// ([`AsBuilt`]).
pub struct FnService<F, E, A = Json> {
    function: Arc<F>,
    _event: PhantomData<fn(E) -> A>,
}

impl<F, E, A> FnService<F, E, A> {
    fn new(function: F) -> Self {
        FnService {
            function: Arc::new(function),
            _event: PhantomData,
        }
    }
}

impl<F, E, A> Clone for FnService<F, E, A> {
    fn clone(&self) -> Self {
        FnService {
            function: self.function.clone(),
            _event: PhantomData,
        }
    }
}

impl<F, E, A> std::fmt::Debug for FnService<F, E, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnService")
    }
}

/// How an [`FnService`] turns its function's value `R` into the answer.
pub trait Answer<R> {
    /// `value` as the invocation's response.
    fn answer(value: R) -> Result<Response, InvocationError>;
}

/// Answers with the value encoded as JSON (`application/json`).
#[derive(Debug)]
pub struct Json;

/// Answers with the [`Response`] the function built, as it is (a streamed
/// one included).
#[derive(Debug)]
pub struct AsBuilt;

impl<R: Serialize> Answer<R> for Json {
    fn answer(value: R) -> Result<Response, InvocationError> {
        encode(&value)
    }
}

impl Answer<Response> for AsBuilt {
    fn answer(value: Response) -> Result<Response, InvocationError> {
        Ok(value)
    }
}

impl<F, Fut, E, R, Err, A> Service<Invocation> for FnService<F, E, A>
where
    F: Fn(E, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, Err>> + Send + 'static,
    E: DeserializeOwned + Send + 'static,
    R: Send + 'static,
    Err: Into<BoxError> + Send + 'static,
    A: Answer<R>,
{
    type Response = Response;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), InvocationError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let future = match event::decode::<E>(&invocation.payload) {
            Ok(event) => (self.function)(event, invocation.context),
            Err(error) => return Box::pin(std::future::ready(Err(error))),
        };
        Box::pin(async move {
            match future.await {
                Ok(value) => A::answer(value),
                Err(error) => Err(Error::from_handler(error).into_invocation_error()),
            }
        })
    }
}

fn encode<R: Serialize>(response: &R) -> Result<Response, InvocationError> {
    match serde_json::to_vec(response) {
        Ok(body) => Ok(Response::json(Bytes::from(body))),
        Err(error) => Err(InvocationError::runtime(
            "Runtime.SerializationError",
            format!("the handler's response could not be encoded as JSON: {error}"),
        )),
    }
}
