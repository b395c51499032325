//! [`Forward`]: the tower HTTP service web mode serves. Each request (a
//! gateway event's, the platform's pushed HTTP, or a non-HTTP event as
//! `POST /events`) goes to the app on 127.0.0.1 over a pooled keep-alive
//! client, and the app's response comes back: streamed to a pushed
//! request's client, read whole for a gateway's or an event's answer,
//! which is one payload anyway. When the app exits with the request in
//! flight (before its answer is whole, where it is read whole), the answer
//! is `502` saying how it ended (`app exited: exit status 1`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery};
use http::{StatusCode, Uri};
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use light_runtime::events::http::RequestContext;
use light_runtime::http::Body;
use light_runtime::{BoxError, Context, InvocationError};

use super::answers::{bad_gateway, plain, strip_hop_by_hop, whole, AnswerBody};
use super::app::{ended, App, State};
use super::event_request::{add_context, add_forwarded, add_gateway_context};
use super::{websocket, Settings};

/// How long a failed request waits to learn whether the app exited, so
/// the answer can say how it ended rather than "connection reset".
const EXIT_NOTICE: Duration = Duration::from_millis(500);

/// The most of a failing app's answer to an event kept in the error.
const EVENT_ERROR_BODY: usize = 1024;

/// The service web mode runs as its function; clones share one pool.
#[derive(Debug, Clone)]
pub(crate) struct Forward {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    client: Client<HttpConnector, Body>,
    app: App,
    settings: Settings,
    /// `127.0.0.1:PORT`, made once for every request's URI.
    authority: Authority,
}

/// What brought a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The platform passed the client's HTTP through.
    Pushed,
    /// A gateway's event (API Gateway, ALB, function URL, ...).
    Gateway,
    /// Any other event: `POST` to the events path.
    Event,
}

impl Forward {
    /// Forwards to `app`, as `settings` say.
    pub(crate) fn new(app: App, settings: Settings) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        let authority = Authority::from_maybe_shared(Bytes::from(settings.app.to_string()))
            .expect("a socket address is an authority");
        Forward {
            shared: Arc::new(Shared {
                client,
                app,
                settings,
                authority,
            }),
        }
    }
}

impl tower::Service<http::Request<Body>> for Forward {
    type Response = http::Response<AnswerBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move { shared.forward(request).await })
    }
}

impl Shared {
    async fn forward(
        &self,
        mut request: http::Request<Body>,
    ) -> Result<http::Response<AnswerBody>, BoxError> {
        let context = request.extensions_mut().remove::<Context>();
        let gateway = request.extensions_mut().remove::<RequestContext>();
        let source = match (&gateway, &context) {
            (Some(_), _) => Source::Gateway,
            (None, Some(context)) if context.http_request().is_some() => Source::Pushed,
            _ => Source::Event,
        };
        let upgrade = match source {
            Source::Pushed => websocket::client_side(&request),
            _ => None,
        };
        let (mut parts, body) = request.into_parts();
        let path = match source {
            Source::Event => self.settings.events_path.clone(),
            _ => parts
                .uri
                .path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/")),
        };
        parts.uri = Uri::builder()
            .scheme("http")
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()?;
        parts.version = http::Version::HTTP_11;
        // The platform's extensions are not the app's business.
        parts.extensions = http::Extensions::new();
        if upgrade.is_none() {
            strip_hop_by_hop(&mut parts.headers);
        }
        if let Some(context) = &context {
            add_context(&mut parts.headers, context);
        }
        if let Some(gateway) = &gateway {
            add_gateway_context(&mut parts.headers, gateway);
        }
        let source_ip = gateway.as_ref().and_then(|g| g.source_ip.as_deref());
        add_forwarded(&mut parts.headers, source_ip, source == Source::Gateway);

        let run = match self.ready().await {
            Ok(run) => run,
            Err(answer) => return self.for_source(source, answer).await,
        };
        let mut state = self.app.state();
        let sent = self.client.request(http::Request::from_parts(parts, body));
        let mut response = tokio::select! {
            result = sent => match result {
                Ok(response) => response,
                Err(error) => {
                    let answer = self.unreachable(run, &error).await;
                    return self.for_source(source, answer).await;
                }
            },
            ended = ended(&mut state, run) => {
                return self.for_source(source, bad_gateway(&ended)).await;
            }
        };
        if let Some(client) = upgrade {
            if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                return Ok(websocket::splice(client, response));
            }
        }
        strip_hop_by_hop(response.headers_mut());
        let response = match self.settings.response_limit {
            Some(limit) => limit
                .check(response)
                .map_err(|error| -> BoxError { Box::new(error) })?,
            None => response.map(|body| body.map_err(BoxError::from).boxed_unsync()),
        };
        let response = match source {
            Source::Pushed => response,
            Source::Gateway | Source::Event => self.read_whole(response, run).await?,
        };
        self.for_source(source, response).await
    }

    /// `response` with its body read whole, or `502` when the app exited
    /// before it was; a body over the platform's limit stays its error.
    async fn read_whole(
        &self,
        response: http::Response<AnswerBody>,
        run: u64,
    ) -> Result<http::Response<AnswerBody>, BoxError> {
        let (parts, body) = response.into_parts();
        let mut state = self.app.state();
        let read = tokio::select! {
            read = body.collect() => read,
            ended = ended(&mut state, run) => return Ok(bad_gateway(&ended)),
        };
        match read {
            Ok(read) => Ok(http::Response::from_parts(parts, whole(read.to_bytes()))),
            Err(error) if error.is::<InvocationError>() => Err(error),
            Err(error) => match tokio::time::timeout(EXIT_NOTICE, ended(&mut state, run)).await {
                Ok(ended) => Ok(bad_gateway(&ended)),
                Err(_) => Err(format!("the app's response body broke off: {error}").into()),
            },
        }
    }

    /// Waits until the app is ready: its start number, or the answer when
    /// it is stopped, or when it keeps failing to come back (it exited and
    /// is not ready again within the ready timeout: without a deadline, as
    /// on plain HTTP, a crash-looping app would hold requests forever). The
    /// first start is waited for within the invocation's deadline only
    /// (`--async-init`).
    async fn ready(&self) -> Result<u64, http::Response<AnswerBody>> {
        let mut state = self.app.state();
        let restarting = matches!(
            &*state.borrow(),
            State::Starting {
                previous: Some(_),
                ..
            }
        );
        let ready = state.wait_for(|state| matches!(state, State::Ready { .. } | State::Stopped));
        let waited = if restarting {
            tokio::time::timeout(self.settings.ready_timeout, ready).await
        } else {
            Ok(ready.await)
        };
        let state = match waited {
            Ok(state) => state.map(|state| state.clone()),
            Err(_) => {
                let last = match &*self.app.state().borrow() {
                    State::Starting {
                        previous: Some(ended),
                        ..
                    } => ended.clone(),
                    _ => "it is restarting".into(),
                };
                return Err(plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!(
                        "the app is not ready again within {} ms: {last}",
                        self.settings.ready_timeout.as_millis()
                    ),
                ));
            }
        };
        match state {
            Ok(State::Ready { run }) => Ok(run),
            _ => Err(plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the app is stopped: the runtime is shutting down",
            )),
        }
    }

    /// The answer when the request could not be sent or its answer not
    /// read: how the app ended, if it did, else the client's error.
    async fn unreachable(
        &self,
        run: u64,
        error: &hyper_util::client::legacy::Error,
    ) -> http::Response<AnswerBody> {
        let mut state = self.app.state();
        match tokio::time::timeout(EXIT_NOTICE, ended(&mut state, run)).await {
            Ok(ended) => bad_gateway(&ended),
            Err(_) => {
                let cause = std::error::Error::source(error)
                    .map_or_else(|| error.to_string(), |source| format!("{error}: {source}"));
                bad_gateway(&format!(
                    "the app at {} could not be reached: {cause}",
                    self.settings.app
                ))
            }
        }
    }

    /// `response`, or, for a non-HTTP event, an invocation error when it is
    /// a server error: a queue or schedule then retries as it does for a
    /// failed function.
    async fn for_source(
        &self,
        source: Source,
        response: http::Response<AnswerBody>,
    ) -> Result<http::Response<AnswerBody>, BoxError> {
        if source != Source::Event || !response.status().is_server_error() {
            return Ok(response);
        }
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        let shown = String::from_utf8_lossy(&body[..body.len().min(EVENT_ERROR_BODY)]);
        Err(Box::new(InvocationError::runtime(
            "App.EventFailed",
            format!(
                "the app answered {status} to the event POSTed to {}: {}",
                self.settings.events_path,
                shown.trim()
            ),
        )))
    }
}
