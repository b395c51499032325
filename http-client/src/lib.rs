//! The keep-alive HTTP/1.1 client light-runtime's own platform calls go
//! through: the pull adapters' Runtime API exchanges (AWS Lambda, Tencent
//! SCF) and the telemetry layers' OTLP/HTTP exports.
//!
//! It is small on purpose: fixed requests to one peer, `Content-Length` or
//! chunked responses, bodies handed on as slices of the read buffer, and
//! chunked request bodies with trailers for streamed responses. See
//! `docs/design/runtime-api-client.md` for the measurement behind writing
//! it by hand rather than using hyper's client.
//!
//! # Layout
//! - [`connection`]: [`Connection`], one keep-alive connection, and the
//!   [`RawResponse`] (or [`UnreadableResponse`]) read off it.
//! - [`client`]: [`Client`], a connection to a runtime API that reconnects
//!   as needed, bounds every call but `next` in time and sends again only
//!   what did not leave, within a [`RetryPolicy`]; [`PostStatus`], [`Got`];
//!   [`StreamingPost`], a post whose body goes out in chunks, then trailers.
//! - `restore`: why no connection kept in a snapshot (AWS SnapStart) is
//!   used after a restore.
//!
//! # Example
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use light_runtime_http_client::Connection;
//!
//! let mut connection = Connection::connect("127.0.0.1:9001").await?;
//! let response = connection
//!     .request("GET", &["/2018-06-01/runtime/invocation/next"], &[] as &[(&str, &str)], b"")
//!     .await?;
//! println!("{} {:?}", response.status, response.body);
//! # Ok(()) }
//! ```

pub mod client;
pub mod connection;
mod restore;

pub use client::{Client, Got, PostStatus, RetryPolicy, StreamingPost, DEFAULT_CALL_TIMEOUT};
pub use connection::{Connection, RawResponse, UnreadableKind, UnreadableResponse};
