//! HTTP functions and services: `async fn(http::Request<B>, Context) ->
//! Result<http::Response<R>, E>` (`B` is `Bytes` or [`Body`]; `R` is
//! `Bytes`, [`Body`], `String` or `Vec<u8>`) and any tower HTTP service
//! answering an `http_body::Body<Data = Bytes>`, an axum `Router` as it
//! is, are [`Handler`](crate::Handler)s.
//!
//! Every invocation becomes one request, whatever brought it:
//! - **HTTP passed through** (FC HTTP invocations, plain HTTP, SCF web
//!   functions): the client's request; the client gets the function's
//!   status, headers and body.
//! - **A gateway's event** (feature `events`, on by default): API Gateway
//!   REST and HTTP APIs, ALB, Lambda function URLs, FC HTTP-trigger events,
//!   SCF API Gateway triggers. The event becomes the client's request, and
//!   the response goes back as that gateway's response JSON, so status,
//!   headers and cookies reach the client. The gateway's request context
//!   (request id, source IP, authorizer claims, stage, path parameters) is
//!   in the **request's** extensions as
//!   [`events::http::RequestContext`](crate::events::http::RequestContext).
//!   An API Gateway stage is kept in front of the path (`/prod/orders`),
//!   as the client called it; set `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`
//!   (the variable `lambda_http` reads) to route on `/orders`.
//! - **Any other event**: `POST /` with the event as an `application/json`
//!   body.
//!
//! A tower service also finds the invocation's [`Context`](crate::Context)
//! in the request's extensions (axum: `Extension<Context>`). See
//! `docs/http-functions.md`.
//!
//! ```no_run
//! use axum::{extract::Path, routing::get, Router};
//!
//! async fn order(Path(id): Path<u32>) -> String {
//!     format!("order {id}")
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), light_runtime::RuntimeError> {
//!     let app = Router::new().route("/orders/{id}", get(order));
//!     light_runtime::run(app).await
//! }
//! ```
//!
//! Or a plain function:
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
//!
//! # Layout
//! - `body`: [`Body`], the request body, and [`RequestBody`].
//! - `exchange`: an invocation as a request, and how the response goes back.
//! - `function`: [`HttpFnHandler`] / [`HttpFnService`] for async functions.
//! - `service`: [`HttpServiceHandler`] / [`HttpService`] for tower services.
//! - `answer`: the one place a response becomes the invocation's answer,
//!   whole or streamed.

mod answer;
mod body;
mod exchange;
mod function;
mod service;

pub use body::{Body, RequestBody};
pub use function::{HttpFnHandler, HttpFnService};
pub use service::{HttpService, HttpServiceHandler};

#[cfg(feature = "http")]
pub use light_runtime_adapters::http::CloudEvent;

/// The invocation as an HTTP request, as an HTTP function receives it: the
/// request the platform forwarded, a gateway event's request (feature
/// `events`), or `POST /` with the event as a JSON body.
///
/// Fails when the event is a gateway's but malformed; the error names the
/// gateway and the field.
pub fn request_of(
    invocation: &runtime_engine::Invocation,
) -> Result<::http::Request<bytes::Bytes>, runtime_engine::InvocationError> {
    exchange::Conversion::from_env()
        .request(invocation)
        .map(|(request, _)| request)
}
