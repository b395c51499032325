//! One invocation as one HTTP exchange: the request the function is given
//! and how its response goes back, decided once per invocation by where
//! the invocation came from.

use bytes::Bytes;
use runtime_engine::{Invocation, InvocationError, Response};

#[cfg(feature = "events")]
use light_runtime_events::http::{Gateway, StageInPath};

/// How the function's response is answered.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reply {
    /// As HTTP: the platform passed HTTP through (FC `/http-invoke`, plain
    /// HTTP, SCF web) or sent a plain event, which keeps its body (and, on
    /// push platforms, status and headers).
    Http,
    /// As the gateway's response JSON.
    #[cfg(feature = "events")]
    Gateway(Gateway),
}

/// Whether an API Gateway stage stays in front of the path, read once when
/// the handler becomes a service. `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is
/// the variable `lambda_http` reads, so a function moving over keeps its
/// routes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Conversion {
    #[cfg(feature = "events")]
    stage: StageInPath,
}

impl Conversion {
    pub(crate) fn from_env() -> Self {
        Conversion {
            #[cfg(feature = "events")]
            stage: if std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_some() {
                StageInPath::Strip
            } else {
                StageInPath::Keep
            },
        }
    }

    /// The request for `invocation` and how to answer it: the forwarded
    /// request; else, for a gateway's event, the client's request (with
    /// `light_runtime_events::http::RequestContext` in its extensions);
    /// else `POST /` with the event as a JSON body.
    pub(crate) fn request(
        self,
        invocation: &Invocation,
    ) -> Result<(http::Request<Bytes>, Reply), InvocationError> {
        if let Some(parts) = invocation.context.http_request() {
            let request = http::Request::from_parts(parts.clone(), invocation.payload.clone());
            return Ok((request, Reply::Http));
        }
        #[cfg(feature = "events")]
        if let Some((gateway, request)) =
            light_runtime_events::http::request_from_event(&invocation.payload, self.stage)
        {
            return match request {
                Ok(request) => Ok((request, Reply::Gateway(gateway))),
                Err(error) => Err(InvocationError::malformed_event(error.to_string())),
            };
        }
        Ok((event_request(invocation.payload.clone()), Reply::Http))
    }
}

/// `POST /` with `payload` as an `application/json` body.
pub(crate) fn event_request(payload: Bytes) -> http::Request<Bytes> {
    let mut request = http::Request::new(payload);
    *request.method_mut() = http::Method::POST;
    request.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    request
}

impl Reply {
    /// Whether a body of unknown length may be sent as it comes: yes for
    /// HTTP, no for a gateway's response JSON, which holds the whole body.
    pub(crate) fn can_stream(self) -> bool {
        matches!(self, Reply::Http)
    }

    /// The function's `response`, answered this way.
    pub(crate) fn answer(
        self,
        response: http::Response<Bytes>,
    ) -> Result<Response, InvocationError> {
        match self {
            Reply::Http => Ok(Response::from_http(response)),
            #[cfg(feature = "events")]
            Reply::Gateway(gateway) => match gateway.response(response) {
                Ok(json) => Ok(Response::json(json)),
                Err(error) => Err(InvocationError::runtime(
                    "Runtime.SerializationError",
                    error.to_string(),
                )),
            },
        }
    }
}
