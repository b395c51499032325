//! HTTP functions: `async fn(http::Request<Bytes>, Context) ->
//! Result<http::Response<Bytes>, E>` is a [`Handler`](crate::Handler) too.
//!
//! On platforms that pass HTTP through (FC HTTP invocations, plain HTTP,
//! SCF web functions) the function gets the client's request and the client
//! gets the function's status, headers and body. An event invocation (an FC
//! `/invoke`, an AWS or SCF event) reaches it as `POST /` with the event as
//! the body (`Content-Type: application/json`); normalising API-gateway
//! events into requests is a later step. See `docs/http-functions.md`.
//!
//! ```no_run
//! use bytes::Bytes;
//! use light_runtime::{Context, Error};
//!
//! async fn hello(request: http::Request<Bytes>, _ctx: Context) -> Result<http::Response<Bytes>, Error> {
//!     let name = request.uri().query().unwrap_or("world").to_owned();
//!     Ok(http::Response::builder()
//!         .status(200)
//!         .header("content-type", "text/plain")
//!         .body(Bytes::from(format!("hello, {name}\n")))?)
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), light_runtime::RuntimeError> {
//!     light_runtime::run(hello).await
//! }
//! ```

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use runtime_engine::{BoxError, Context, Invocation, InvocationError, Response};
use tower::Service;

use crate::error::Error;
use crate::handler::Handler;

#[cfg(feature = "http")]
pub use light_runtime_adapters::http::CloudEvent;

/// Marks handlers that are async functions of `(http::Request<Bytes>, Context)`.
#[derive(Debug)]
pub struct HttpFnHandler<Err>(PhantomData<fn() -> Err>);

impl<F, Fut, Err> Handler<HttpFnHandler<Err>> for F
where
    F: Fn(::http::Request<Bytes>, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<::http::Response<Bytes>, Err>> + Send + 'static,
    Err: Into<BoxError> + Send + 'static,
{
    type Service = HttpFnService<F>;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn into_service(self) -> Self::Service {
        HttpFnService {
            function: Arc::new(self),
        }
    }
}

/// An HTTP function as a service: rebuilds the request from the
/// invocation, calls the function, keeps its response's status and headers.
pub struct HttpFnService<F> {
    function: Arc<F>,
}

impl<F> Clone for HttpFnService<F> {
    fn clone(&self) -> Self {
        HttpFnService {
            function: self.function.clone(),
        }
    }
}

impl<F> std::fmt::Debug for HttpFnService<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpFnService")
    }
}

/// The invocation as an HTTP request: the request the platform forwarded,
/// or `POST /` with the event as a JSON body.
pub fn request_of(invocation: &Invocation) -> ::http::Request<Bytes> {
    match invocation.context.http_request() {
        Some(parts) => ::http::Request::from_parts(parts.clone(), invocation.payload.clone()),
        None => {
            let mut request = ::http::Request::new(invocation.payload.clone());
            *request.method_mut() = ::http::Method::POST;
            request.headers_mut().insert(
                ::http::header::CONTENT_TYPE,
                ::http::HeaderValue::from_static("application/json"),
            );
            request
        }
    }
}

impl<F, Fut, Err> Service<Invocation> for HttpFnService<F>
where
    F: Fn(::http::Request<Bytes>, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<::http::Response<Bytes>, Err>> + Send + 'static,
    Err: Into<BoxError> + Send + 'static,
{
    type Response = Response;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), InvocationError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let request = request_of(&invocation);
        let future = (self.function)(request, invocation.context);
        Box::pin(async move {
            match future.await {
                Ok(response) => Ok(Response::from_http(response)),
                Err(error) => Err(Error::from_handler(error).into_invocation_error()),
            }
        })
    }
}
