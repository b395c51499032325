//! [`HttpPlatform`]: a plain-HTTP FaaS front (Knative, Cloud Run, OpenFaaS;
//! reference 4.1 and 4.3) calling a function on `$PORT`: JSON events,
//! CloudEvents in binary and structured mode, and any HTTP request. The
//! same caller drives SCF web functions and the local server, which are
//! HTTP servers too. Shutdown is SIGTERM, which tests send as the
//! runtime's shutdown token.
//!
//! ```no_run
//! use std::time::Duration;
//! use light_runtime_emulators::http_platform::HttpPlatform;
//!
//! # async fn example() -> std::io::Result<()> {
//! let platform = HttpPlatform::knative()?;
//! // Start the runtime with `platform.env()`, then:
//! assert!(platform.wait_ready(Duration::from_secs(5)).await);
//! let reply = platform.post_json(&serde_json::json!({"n": 1})).await?;
//! assert_eq!(reply.status, 200);
//! # Ok(()) }
//! ```

use std::io;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};

use crate::caller::{free_port, Caller, Reply};

/// How long a request waits for its reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// A push platform in front of a function's HTTP server; see the module docs.
#[derive(Debug, Clone)]
pub struct HttpPlatform {
    caller: Caller,
    env: Vec<(String, String)>,
}

impl HttpPlatform {
    fn with_env(port: u16, env: Vec<(String, String)>) -> Self {
        HttpPlatform {
            caller: Caller::new(port),
            env,
        }
    }

    /// Knative / Cloud Run: `PORT`, `K_SERVICE`, `K_REVISION`, and
    /// `LIGHT_RUNTIME_LISTEN_HOST=127.0.0.1` so tests listen on loopback only.
    pub fn knative() -> io::Result<Self> {
        let port = free_port()?;
        Ok(HttpPlatform::with_env(
            port,
            vec![
                ("PORT".into(), port.to_string()),
                ("K_SERVICE".into(), "orders".into()),
                ("K_REVISION".into(), "orders-00007".into()),
                ("LIGHT_RUNTIME_LISTEN_HOST".into(), "127.0.0.1".into()),
            ],
        ))
    }

    /// An SCF web function: `TENCENTCLOUD_RUNENV=SCF` without a runtime API,
    /// its port 9000 moved by `LIGHT_RUNTIME_PORT` for the test.
    pub fn scf_web() -> io::Result<Self> {
        let port = free_port()?;
        Ok(HttpPlatform::with_env(
            port,
            vec![
                ("TENCENTCLOUD_RUNENV".into(), "SCF".into()),
                ("SCF_FUNCTIONNAME".into(), "orders".into()),
                ("LIGHT_RUNTIME_PORT".into(), port.to_string()),
                ("LIGHT_RUNTIME_LISTEN_HOST".into(), "127.0.0.1".into()),
            ],
        ))
    }

    /// The local development server: `PORT` and `LIGHT_RUNTIME_PLATFORM=local`.
    pub fn local() -> io::Result<Self> {
        let port = free_port()?;
        Ok(HttpPlatform::with_env(
            port,
            vec![
                ("PORT".into(), port.to_string()),
                ("LIGHT_RUNTIME_PLATFORM".into(), "local".into()),
            ],
        ))
    }

    /// The variables the function process gets.
    pub fn env(&self) -> Vec<(String, String)> {
        self.env.clone()
    }

    /// The underlying caller: every exchange, counts.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Waits up to `timeout` until the function's port accepts connections.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        self.caller.wait_ready(timeout).await
    }

    /// Sends `request` as it is.
    pub async fn send(&self, request: Request<Bytes>) -> io::Result<Reply> {
        self.caller.send(request, REPLY_TIMEOUT).await
    }

    /// `POST /` with `body` as `application/json` (malformed bodies too).
    pub async fn post(&self, body: impl Into<Bytes>) -> io::Result<Reply> {
        self.send(request(
            Method::POST,
            "/",
            &[("content-type", "application/json")],
            body.into(),
        ))
        .await
    }

    /// `POST /` with `event` as JSON.
    pub async fn post_json(&self, event: &serde_json::Value) -> io::Result<Reply> {
        self.post(event.to_string()).await
    }

    /// A CloudEvent in binary mode: `ce-id`, `ce-source`, `ce-type`,
    /// `ce-specversion: 1.0` and `extra` headers; `data` as a JSON body.
    pub async fn cloudevent_binary(
        &self,
        id: &str,
        event_type: &str,
        data: &serde_json::Value,
        extra: &[(&str, &str)],
    ) -> io::Result<Reply> {
        let mut headers = vec![
            ("content-type", "application/json"),
            ("ce-id", id),
            ("ce-source", "/light-runtime/tests"),
            ("ce-type", event_type),
            ("ce-specversion", "1.0"),
        ];
        headers.extend_from_slice(extra);
        self.send(request(
            Method::POST,
            "/",
            &headers,
            data.to_string().into(),
        ))
        .await
    }

    /// A CloudEvent in structured mode: `event` is the whole event JSON.
    pub async fn cloudevent_structured(&self, event: &serde_json::Value) -> io::Result<Reply> {
        let headers = [(
            "content-type",
            "application/cloudevents+json; charset=utf-8",
        )];
        self.send(request(
            Method::POST,
            "/",
            &headers,
            event.to_string().into(),
        ))
        .await
    }
}

/// A request with `headers` and `body`.
pub fn request(method: Method, uri: &str, headers: &[(&str, &str)], body: Bytes) -> Request<Bytes> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body).unwrap_or_default()
}
