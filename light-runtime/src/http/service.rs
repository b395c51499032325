//! Any tower HTTP service as a [`Handler`]: an axum `Router` as it is, or
//! anything that is a `Service<http::Request<Body>>` answering
//! `http::Response<R>` with `R: http_body::Body<Data = Bytes>`.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use runtime_engine::{BoxError, Invocation, InvocationError, Response};
use tower::{Service, ServiceExt};

use super::answer::answer;
use super::body::Body;
use super::exchange::Conversion;
use super::function::handler_error;
use crate::handler::Handler;

/// Marks handlers that are tower HTTP services answering `http::Response<R>`.
#[derive(Debug)]
pub struct HttpServiceHandler<R>(PhantomData<fn() -> R>);

impl<S, R> Handler<HttpServiceHandler<R>> for S
where
    S: Service<http::Request<Body>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Error: Into<BoxError> + 'static,
    S::Future: Send + 'static,
    R: http_body::Body<Data = Bytes> + Send + 'static,
    R::Error: Into<BoxError>,
{
    type Service = HttpService<S>;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn into_service(self) -> Self::Service {
        HttpService {
            inner: self,
            conversion: Conversion::from_env(),
        }
    }
}

/// A tower HTTP service serving invocations: each invocation becomes its
/// request (see [`crate::http`]), with the invocation's
/// [`Context`](crate::Context) in the request's extensions (axum:
/// `Extension<Context>`), and its response is answered the way the
/// invocation came.
#[derive(Debug, Clone)]
pub struct HttpService<S> {
    inner: S,
    conversion: Conversion,
}

impl<S> HttpService<S> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, by value.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, R> Service<Invocation> for HttpService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Error: Into<BoxError> + 'static,
    S::Future: Send + 'static,
    R: http_body::Body<Data = Bytes> + Send + 'static,
    R::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = InvocationError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), InvocationError>> {
        // Readiness is awaited per call on the clone that serves it, so a
        // clone never calls a service it did not see ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let (request, reply) = match self.conversion.request(&invocation) {
            Ok(converted) => converted,
            Err(error) => return Box::pin(std::future::ready(Err(error))),
        };
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(invocation.context);
        let inner = self.inner.clone();
        Box::pin(async move {
            let response = inner.oneshot(request).await.map_err(handler_error)?;
            answer(reply, response).await
        })
    }
}
