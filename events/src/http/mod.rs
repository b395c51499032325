//! HTTP requests that arrive as gateway events, and the answers those
//! gateways expect.
//!
//! Behind API Gateway, an ALB, a function URL, FC's HTTP trigger (for event
//! functions) or SCF's API Gateway trigger, a request reaches the function
//! as a JSON event and the response must go back as JSON in that gateway's
//! own shape. [`Gateway::detect`] tells which gateway sent an event,
//! [`Gateway::request`] turns it into an `http::Request<Bytes>` (with a
//! [`RequestContext`] extension), [`request_from_event`] does both in one
//! step, and [`Gateway::response`] writes an `http::Response<Bytes>` as that
//! gateway's response JSON.
//!
//! ```
//! use light_runtime_events::http::{Gateway, RequestContext, StageInPath};
//!
//! let event = br#"{"version":"2.0","rawPath":"/orders/7","rawQueryString":"a=1&a=2",
//!   "cookies":["s=1"],"headers":{"host":"api.example.com"},
//!   "requestContext":{"stage":"$default","requestId":"r-1",
//!     "http":{"method":"GET","path":"/orders/7","sourceIp":"203.0.113.9"}},
//!   "isBase64Encoded":false}"#;
//! let gateway = Gateway::detect(event).unwrap();
//! assert_eq!(gateway, Gateway::ApiGatewayHttp);
//! let request = gateway.request(event, StageInPath::Keep).unwrap();
//! assert_eq!(request.uri(), "https://api.example.com/orders/7?a=1&a=2");
//! assert_eq!(request.headers()["cookie"], "s=1");
//! let context = request.extensions().get::<RequestContext>().unwrap();
//! assert_eq!(context.source_ip.as_deref(), Some("203.0.113.9"));
//!
//! let response = http::Response::builder()
//!     .status(201)
//!     .header("set-cookie", "s=2")
//!     .body(bytes::Bytes::from_static(b"made"))
//!     .unwrap();
//! let json: serde_json::Value = serde_json::from_slice(&gateway.response(response).unwrap()).unwrap();
//! assert_eq!(json["statusCode"], 201);
//! assert_eq!(json["cookies"][0], "s=2");
//! ```
//!
//! # Layout
//! - `gateway`: [`Gateway`] and how an event is recognised.
//! - `context`: [`RequestContext`], the request extension.
//! - `error`: [`GatewayEventError`].
//! - `uri`, `body`, `single_value`, `json_headers`: URIs, bodies (base64
//!   both ways), one-value-per-name header maps and headers read straight
//!   from the JSON, shared by the gateways.
//! - `aws_rest`, `aws_http_api`, `alb`: AWS, on `aws_lambda_events` types.
//! - `aliyun_fc`, `tencent_scf`: FC's and SCF's shapes, written here.
//! - `to_event`: the other direction, an HTTP request written as an HTTP
//!   API (payload 2.0) event and the answer read back as the response
//!   ([`http_api_event`], [`http_api_answer`]), for proxy mode.

mod alb;
mod aliyun_fc;
mod aws_http_api;
mod aws_rest;
mod body;
mod context;
mod error;
mod gateway;
mod json_headers;
mod single_value;
mod tencent_scf;
mod to_event;
mod uri;

use bytes::Bytes;
use http::{HeaderMap, Method};

pub use aliyun_fc::{FcHttpDescription, FcRequestContext};
pub use context::{OriginalContext, RequestContext};
pub use error::GatewayEventError;
pub use gateway::Gateway;
pub use tencent_scf::ScfRequestContext;
pub use to_event::{http_api_answer, http_api_event, EventContext};
pub use uri::StageInPath;

impl Gateway {
    /// `event`, which this gateway sent, as the HTTP request the client
    /// made, with a [`RequestContext`] in its extensions. `stage` says
    /// whether an API Gateway stage is kept in front of the path.
    ///
    /// Fails when the event does not match this gateway's shape, when its
    /// body says base64 and is not, or when a method or header is not
    /// valid HTTP; the error names the gateway and the field.
    pub fn request(
        self,
        event: &[u8],
        stage: StageInPath,
    ) -> Result<http::Request<Bytes>, GatewayEventError> {
        match self {
            Gateway::ApiGatewayRest => aws_rest::request(event, stage),
            Gateway::ApiGatewayHttp => aws_http_api::request(event, stage),
            Gateway::FunctionUrl => aws_http_api::function_url_request(event),
            Gateway::Alb { .. } => alb::request(event, self),
            Gateway::FcHttpTrigger => aliyun_fc::request(event),
            Gateway::ScfApiGateway => tencent_scf::request(event),
        }
    }

    /// `response` as this gateway's response JSON: status, headers in the
    /// gateway's form (`cookies` for payload 2.0, `multiValueHeaders` for
    /// REST APIs, both header maps for ALB), and the body as text or, for
    /// a binary `Content-Type` or any `Content-Encoding`, base64.
    pub fn response(self, response: http::Response<Bytes>) -> Result<Vec<u8>, GatewayEventError> {
        match self {
            Gateway::ApiGatewayRest => aws_rest::response(response),
            Gateway::ApiGatewayHttp => aws_http_api::response(response),
            Gateway::FunctionUrl => aws_http_api::function_url_response(response),
            Gateway::Alb { .. } => alb::response(response, self),
            Gateway::FcHttpTrigger => aliyun_fc::response(response),
            Gateway::ScfApiGateway => tencent_scf::response(response),
        }
    }
}

/// The gateway that sent `event` and the request it carries, in one step:
/// what [`Gateway::detect`] then [`Gateway::request`] give, read in one pass
/// for the common case, an HTTP API (payload 2.0) event, which AWS starts
/// with `"version":"2.0"`. `None` when `event` is no gateway's request.
pub fn request_from_event(
    event: &[u8],
    stage: StageInPath,
) -> Option<(Gateway, Result<http::Request<Bytes>, GatewayEventError>)> {
    if gateway::starts_as_payload_2(event) {
        if let Some(request) = aws_http_api::request_if_http_api(event, stage) {
            return Some((Gateway::ApiGatewayHttp, Ok(request)));
        }
    }
    let gateway = Gateway::detect(event)?;
    Some((gateway, gateway.request(event, stage)))
}

/// The request from its converted parts; the URI is checked here, once for
/// every gateway.
fn assemble(
    gateway: Gateway,
    method: Method,
    uri: &str,
    headers: HeaderMap,
    body: Bytes,
    context: RequestContext,
) -> Result<http::Request<Bytes>, GatewayEventError> {
    let uri: http::Uri = uri
        .parse()
        .map_err(|error| GatewayEventError::field(gateway, "path", format!("`{uri}`: {error}")))?;
    let mut request = http::Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    request.extensions_mut().insert(context);
    Ok(request)
}
