//! [`FcEmulator`]: Alibaba Cloud Function Compute calling a custom runtime,
//! as `aliyun/fc-docker`'s mocker does and reference section 2 describes:
//! waits for the port, then `POST /initialize`, `POST /invoke`,
//! `/http-invoke` pass-through requests, `GET /pre-freeze`, `GET /pre-stop`,
//! each with FC's common `x-fc-*` headers. Every exchange is recorded.
//!
//! Faults: [`FcRequest`] can drop or replace any header (no request id, a
//! timeout that is not a number), carry a malformed body, or be abandoned
//! by the platform mid-invocation (a reply timeout drops the connection).
//!
//! ```no_run
//! use std::time::Duration;
//! use light_runtime_emulators::aliyun_fc::FcEmulator;
//!
//! # async fn example() -> std::io::Result<()> {
//! let fc = FcEmulator::builder().function_name("orders").start()?;
//! // Start the runtime with `fc.env()`, then:
//! assert!(fc.wait_ready(Duration::from_secs(5)).await);
//! let reply = fc.invoke(&br#"{"hello":"world"}"#[..]).await?;
//! assert_eq!(reply.header("x-fc-status"), Some("200"));
//! # Ok(()) }
//! ```

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request};

use crate::caller::{free_port, Caller, Reply};

/// How long a request waits for its reply unless [`FcRequest::timeout`] says otherwise.
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings for an [`FcEmulator`].
#[derive(Debug, Clone)]
pub struct FcBuilder {
    headers: Vec<(&'static str, String)>,
    /// The port the function listens on; `None` picks a free one.
    port: Option<u16>,
}

impl FcBuilder {
    fn set(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// `x-fc-function-name`.
    pub fn function_name(self, name: &str) -> Self {
        self.set("x-fc-function-name", name)
    }

    /// `x-fc-function-memory` in MB.
    pub fn memory_mb(self, memory: u32) -> Self {
        self.set("x-fc-function-memory", memory.to_string())
    }

    /// `x-fc-function-timeout` in seconds (observed, unconfirmed in the docs).
    pub fn timeout_secs(self, seconds: u64) -> Self {
        self.set("x-fc-function-timeout", seconds.to_string())
    }

    /// `x-fc-region`.
    pub fn region(self, region: &str) -> Self {
        self.set("x-fc-region", region)
    }

    /// `x-fc-account-id`.
    pub fn account_id(self, account: &str) -> Self {
        self.set("x-fc-account-id", account)
    }

    /// `x-fc-qualifier` and `x-fc-version-id`.
    pub fn version(self, version: &str) -> Self {
        self.set("x-fc-qualifier", version)
            .set("x-fc-version-id", version)
    }

    /// The STS trio `x-fc-access-key-id`, `-secret`, `x-fc-security-token`.
    pub fn credentials(self, id: &str, secret: &str, token: &str) -> Self {
        self.set("x-fc-access-key-id", id)
            .set("x-fc-access-key-secret", secret)
            .set("x-fc-security-token", token)
    }

    /// Any other header sent with every request.
    pub fn header(self, name: &'static str, value: &str) -> Self {
        self.set(name, value)
    }

    /// The port the function listens on (FC's `CAPort`), instead of a free
    /// one picked at [`start`](Self::start): `light-runtime emulate
    /// --function-port` for a server that cannot be told its port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Picks a free port on `127.0.0.1` for the function to listen on,
    /// unless [`port`](Self::port) chose one.
    pub fn start(self) -> io::Result<FcEmulator> {
        let port = match self.port {
            Some(port) => port,
            None => free_port()?,
        };
        Ok(FcEmulator {
            caller: Caller::new(port),
            port,
            headers: self.headers,
            ids: AtomicU64::new(0),
        })
    }
}

/// Alibaba FC as the function sees it; see the module docs.
#[derive(Debug)]
pub struct FcEmulator {
    caller: Caller,
    port: u16,
    headers: Vec<(&'static str, String)>,
    ids: AtomicU64,
}

/// One request FC sends, with its faults.
#[derive(Debug, Clone)]
pub struct FcRequest {
    request: Request<Bytes>,
    timeout: Duration,
}

impl FcRequest {
    /// Replaces (or adds) header `name`.
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.request
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
        self
    }

    /// Drops header `name`, e.g. `x-fc-request-id`.
    pub fn without(mut self, name: &'static str) -> Self {
        self.request.headers_mut().remove(name);
        self
    }

    /// Gives up (drops the connection) if no reply comes within `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The request as it will be sent (for [`Caller::send_all`]).
    pub fn into_http(self) -> Request<Bytes> {
        self.request
    }

    /// The request id it carries.
    pub fn request_id(&self) -> Option<&str> {
        self.request
            .headers()
            .get("x-fc-request-id")
            .and_then(|v| v.to_str().ok())
    }
}

impl FcEmulator {
    /// Settings: function `function`, 128 MB, `cn-hangzhou`, no timeout header.
    pub fn builder() -> FcBuilder {
        FcBuilder {
            headers: Vec::new(),
            port: None,
        }
        .function_name("function")
        .memory_mb(128)
        .region("cn-hangzhou")
        .account_id("1234567890123456")
        .version("LATEST")
        .header("x-fc-function-handler", "index.handler")
        .header("x-fc-service-logproject", "")
        .header("x-fc-service-logstore", "")
    }

    /// The port the function must listen on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The variables the function process gets: `FC_CUSTOM_LISTEN_PORT`,
    /// `FC_FUNC_CODE_PATH`, and `LIGHT_RUNTIME_LISTEN_HOST=127.0.0.1` so tests
    /// listen on loopback only.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("FC_CUSTOM_LISTEN_PORT".into(), self.port.to_string()),
            ("FC_FUNC_CODE_PATH".into(), "/code".into()),
            ("LIGHT_RUNTIME_LISTEN_HOST".into(), "127.0.0.1".into()),
        ]
    }

    /// The underlying caller: every exchange, counts.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Waits up to `timeout` until the function's port accepts connections.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        self.caller.wait_ready(timeout).await
    }

    /// A fresh request id, `fc-req-000001`, ...
    pub fn fresh_id(&self) -> String {
        format!("fc-req-{:06}", self.ids.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// A request with FC's common headers and a fresh request id.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        control_path: &str,
        body: impl Into<Bytes>,
    ) -> FcRequest {
        let mut request = Request::new(body.into());
        *request.method_mut() = method;
        *request.uri_mut() = path.parse().unwrap_or_default();
        let id = self.fresh_id();
        let headers = request.headers_mut();
        headers.insert(
            "x-fc-request-id",
            HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("-")),
        );
        headers.insert(
            "x-fc-control-path",
            HeaderValue::from_str(control_path).unwrap_or(HeaderValue::from_static("/invoke")),
        );
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        FcRequest {
            request,
            timeout: DEFAULT_REPLY_TIMEOUT,
        }
    }

    /// An event request: `POST /invoke`, `application/octet-stream`.
    pub fn event(&self, body: impl Into<Bytes>) -> FcRequest {
        self.request(Method::POST, "/invoke", "/invoke", body)
            .header("content-type", "application/octet-stream")
    }

    /// Sends `request`.
    pub async fn send(&self, request: FcRequest) -> io::Result<Reply> {
        self.caller.send(request.request, request.timeout).await
    }

    /// `POST /invoke` with `body`.
    pub async fn invoke(&self, body: impl Into<Bytes>) -> io::Result<Reply> {
        self.send(self.event(body)).await
    }

    /// An HTTP invocation: `request` passed through with the common headers
    /// and `x-fc-control-path: /http-invoke`.
    pub async fn http_invoke(&self, request: Request<Bytes>) -> io::Result<Reply> {
        let (parts, body) = request.into_parts();
        let mut ours = self.request(parts.method, &parts.uri.to_string(), "/http-invoke", body);
        for (name, value) in &parts.headers {
            ours.request
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
        self.send(ours).await
    }

    /// `POST /initialize`: the Initializer hook.
    pub async fn initialize(&self) -> io::Result<Reply> {
        self.send(self.request(Method::POST, "/initialize", "/initialize", Bytes::new()))
            .await
    }

    /// `GET /pre-freeze`: the PreFreeze hook (FC 2.0).
    pub async fn pre_freeze(&self) -> io::Result<Reply> {
        self.send(self.request(Method::GET, "/pre-freeze", "/pre-freeze", Bytes::new()))
            .await
    }

    /// `GET /pre-stop`: the PreStop hook.
    pub async fn pre_stop(&self) -> io::Result<Reply> {
        self.send(self.request(Method::GET, "/pre-stop", "/pre-stop", Bytes::new()))
            .await
    }
}
