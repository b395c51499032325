//! HTTP functions: `async fn(http::Request<B>, Context) ->
//! Result<http::Response<R>, E>` as a [`Handler`], with `B` either `Bytes`
//! or [`Body`](super::Body), and `R` anything that converts into a
//! [`Body`](super::Body): `Bytes`, `String`, `Vec<u8>`, `&'static str`.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use runtime_engine::{BoxError, Context, Invocation, InvocationError, Response};
use tower::Service;

use super::answer::answer;
use super::body::{Body, RequestBody};
use super::exchange::Conversion;
use crate::error::Error;
use crate::handler::Handler;

/// Marks handlers that are async functions of `(http::Request<B>, Context)`
/// answering `http::Response<R>`.
#[derive(Debug)]
pub struct HttpFnHandler<B, R, Err>(PhantomData<fn(B) -> (R, Err)>);

impl<F, Fut, B, R, Err> Handler<HttpFnHandler<B, R, Err>> for F
where
    F: Fn(http::Request<B>, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<http::Response<R>, Err>> + Send + 'static,
    B: RequestBody,
    R: Into<Body> + Send + 'static,
    Err: Into<BoxError> + Send + 'static,
{
    type Service = HttpFnService<F, B>;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn into_service(self) -> Self::Service {
        HttpFnService {
            function: Arc::new(self),
            conversion: Conversion::from_env(),
            _body: PhantomData,
        }
    }
}

/// An HTTP function as a service: rebuilds the request from the
/// invocation (see [`crate::http`]), calls the function, and answers its
/// response the way the invocation came.
pub struct HttpFnService<F, B = Bytes> {
    function: Arc<F>,
    conversion: Conversion,
    _body: PhantomData<fn(B)>,
}

impl<F, B> Clone for HttpFnService<F, B> {
    fn clone(&self) -> Self {
        HttpFnService {
            function: self.function.clone(),
            conversion: self.conversion,
            _body: PhantomData,
        }
    }
}

impl<F, B> std::fmt::Debug for HttpFnService<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpFnService")
    }
}

impl<F, Fut, B, R, Err> Service<Invocation> for HttpFnService<F, B>
where
    F: Fn(http::Request<B>, Context) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<http::Response<R>, Err>> + Send + 'static,
    B: RequestBody,
    R: Into<Body> + Send + 'static,
    Err: Into<BoxError> + Send + 'static,
{
    type Response = Response;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), InvocationError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let (request, reply) = match self.conversion.request(&invocation) {
            Ok(converted) => converted,
            Err(error) => return Box::pin(std::future::ready(Err(error))),
        };
        let future = (self.function)(request.map(B::from_bytes), invocation.context);
        Box::pin(async move {
            let response = future.await.map_err(handler_error)?;
            answer(reply, response.map(Into::<Body>::into)).await
        })
    }
}

/// A function's or service's failure (or its body's), as the invocation's error.
pub(crate) fn handler_error<E: Into<BoxError> + 'static>(error: E) -> InvocationError {
    Error::from_handler(error).into_invocation_error()
}
