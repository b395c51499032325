//! [`Client`]: the client side of pull contracts (AWS Lambda Runtime API,
//! Tencent SCF runtime API): one keep-alive connection, reconnected as
//! needed, every call but `next` bounded in time.
//!
//! The rule for sending again (see `docs/design/runtime-api-client.md`):
//! a `GET` is idempotent until answered and is retried within the
//! [`RetryPolicy`]; a `POST` is sent again only when it provably did not
//! leave (the connect failed, or the connection failed before any byte of
//! the request was handed to the socket). A post that may have reached the
//! API is never sent twice, and a 5xx answer to it is a container error.
//!
//! Each pull adapter wraps [`Client`] with its own paths and headers.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use runtime_engine::Error;

use crate::connection::{Connection, RawResponse, UnreadableResponse};

/// How hard to try before giving up on the runtime API.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Calls made in all, the first included.
    pub attempts: u32,
    /// The wait after the first failure; each further wait doubles it.
    pub first_backoff: Duration,
    /// The time limit of a connect and of every call but a `GET` (`next`
    /// waits while the process is frozen): an answer that does not come
    /// within it is a stalled API.
    pub call_timeout: Duration,
}

/// [`RetryPolicy::call_timeout`]'s default.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for RetryPolicy {
    fn default() -> Self {
        // 5 attempts, 20 + 40 + 80 + 160 ms apart: about 300 ms before giving
        // up, well inside any init or invocation budget.
        RetryPolicy {
            attempts: 5,
            first_backoff: Duration::from_millis(20),
            call_timeout: DEFAULT_CALL_TIMEOUT,
        }
    }
}

/// What the runtime API said to a post.
#[derive(Debug, PartialEq, Eq)]
pub enum PostStatus {
    /// 2xx: the API took the post.
    Accepted,
    /// 4xx: the API refused this post (unknown id, duplicate, too large).
    Rejected(u16, String),
    /// The post left, then the connection failed before a whole answer
    /// came back: it may have arrived, so it is not sent again. Says why.
    Unconfirmed(String),
}

/// What a `GET` brought.
// The response is the per-invocation path and is moved once; boxing it
// would cost an allocation per event to save a few hundred bytes of stack.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Got {
    /// A `200` response.
    Response(RawResponse),
    /// A response that began to arrive but cannot be read whole; its head
    /// bytes may still say which invocation it was.
    Unreadable(UnreadableResponse),
}

/// A connection to a runtime API that reconnects as needed.
#[derive(Debug)]
pub struct Client {
    /// `host:port`.
    endpoint: Arc<str>,
    /// What to call the API in errors, with where its address came from,
    /// e.g. `the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001`.
    described: Arc<str>,
    connection: Option<Connection>,
    /// The [`restores`](runtime_engine::restores()) count `connection` was
    /// opened under; one from before the latest restore is never used.
    generation: u64,
    retry: RetryPolicy,
}

/// One attempt's failure, and whether the request may have left.
struct Failed {
    error: io::Error,
    left: bool,
}

impl Client {
    /// A client for `endpoint` (`host:port`), named `described` in errors;
    /// it connects on the first call.
    pub fn new(endpoint: Arc<str>, described: Arc<str>, retry: RetryPolicy) -> Self {
        Client {
            endpoint,
            described,
            connection: None,
            generation: 0,
            retry,
        }
    }

    /// The API as errors name it.
    pub fn described(&self) -> &str {
        &self.described
    }

    /// Sends a `GET` (no time limit on the answer: the process may be
    /// frozen for a long time while it is pending) and expects `200`.
    /// Connection failures and 5xx answers are retried within the policy;
    /// an unreadable answer is handed back, not retried.
    pub async fn get_ok(&mut self, path: &[&str]) -> Result<Got, Error> {
        let mut backoff = self.retry.first_backoff;
        let mut last_failure = String::new();
        for attempt in 1..=self.retry.attempts {
            match self.try_send("GET", path, &[], b"", None).await {
                Ok(response) if response.status == 200 => return Ok(Got::Response(response)),
                Ok(response) if response.status < 500 => {
                    return Err(Error::platform(format!(
                        "{} answered GET {} with status {}: {}",
                        self.described,
                        path.concat(),
                        response.status,
                        String::from_utf8_lossy(&response.body)
                    )))
                }
                Ok(response) => {
                    last_failure = format!(
                        "status {}: {}",
                        response.status,
                        String::from_utf8_lossy(&response.body)
                    );
                }
                Err(failed) => {
                    if let Some(unreadable) = UnreadableResponse::of(&failed.error) {
                        return Ok(Got::Unreadable(unreadable.clone()));
                    }
                    last_failure = failed.error.to_string();
                }
            }
            if attempt < self.retry.attempts {
                tracing::debug!(
                    attempt,
                    "runtime API call failed ({last_failure}); retrying"
                );
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(Error::platform(format!(
            "cannot use {} (GET {}): {last_failure}; gave up after {} attempts",
            self.described,
            path.concat(),
            self.retry.attempts
        )))
    }

    /// Posts `body`, within the call time limit. A 2xx is accepted, a 4xx
    /// is a refusal the caller logs, a post that left but got no whole
    /// answer is [`PostStatus::Unconfirmed`]. Sent again only if it
    /// provably did not leave. `Err` when the API cannot be reached, does
    /// not answer in time, or answers 5xx (a container error: Lambda's
    /// contract says to exit).
    pub async fn post(
        &mut self,
        path: &[&str],
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<PostStatus, Error> {
        let described = self.described.clone();
        let call = || format!("{described} (POST {})", path.concat());
        let mut backoff = self.retry.first_backoff;
        let mut last_failure = String::new();
        for attempt in 1..=self.retry.attempts {
            let timeout = Some(self.retry.call_timeout);
            match self.try_send("POST", path, headers, body, timeout).await {
                Ok(response) => return post_status(&response, call),
                Err(failed) if failed.error.kind() == io::ErrorKind::TimedOut => {
                    return Err(Error::platform(format!(
                        "{} did not answer within {:?}; not posting again",
                        call(),
                        self.retry.call_timeout
                    )));
                }
                Err(failed) if failed.error.kind() == io::ErrorKind::InvalidInput => {
                    return Err(Error::platform(format!("{}: {}", call(), failed.error)));
                }
                Err(failed) if failed.left => {
                    return Ok(PostStatus::Unconfirmed(failed.error.to_string()));
                }
                Err(failed) => last_failure = failed.error.to_string(),
            }
            if attempt < self.retry.attempts {
                tracing::debug!(
                    attempt,
                    "runtime API post did not leave ({last_failure}); retrying"
                );
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(Error::platform(format!(
            "cannot use {}: {last_failure}; gave up after {} attempts",
            call(),
            self.retry.attempts
        )))
    }

    /// Starts a post whose body follows in chunks, with `headers` and the
    /// `trailer_names` it will send at the end (see [`StreamingPost`]).
    /// Like [`post`](Self::post), it is tried again only while its head
    /// provably did not leave, and an unreachable API is an `Err`.
    pub async fn start_streaming_post(
        &mut self,
        path: &[&str],
        headers: &[(&str, &str)],
        trailer_names: &[&str],
    ) -> Result<StreamingPost<'_>, Error> {
        let call = format!("{} (POST {}, streamed)", self.described, path.concat());
        let limit = self.retry.call_timeout;
        let mut backoff = self.retry.first_backoff;
        let mut last_failure = String::new();
        for attempt in 1..=self.retry.attempts {
            let connected = if self.is_kept(true) {
                Ok(())
            } else {
                self.connect().await
            };
            let started = match (connected, self.connection.as_mut()) {
                (Ok(()), Some(connection)) => {
                    let head = connection.start_chunked("POST", path, headers, trailer_names);
                    let started = match tokio::time::timeout(limit, head).await {
                        Ok(started) => started,
                        Err(_) => Err(timed_out(limit)),
                    };
                    let left = connection.request_left();
                    started.map_err(|error| Failed { error, left })
                }
                (Err(failed), _) => Err(failed),
                (Ok(()), None) => Err(Failed {
                    error: io::Error::other("no connection after connecting"),
                    left: false,
                }),
            };
            match started {
                Ok(()) => return Ok(StreamingPost { client: self, call }),
                Err(failed) => {
                    self.connection = None;
                    if failed.left || failed.error.kind() == io::ErrorKind::InvalidInput {
                        return Err(Error::platform(format!("{call}: {}", failed.error)));
                    }
                    last_failure = failed.error.to_string();
                }
            }
            if attempt < self.retry.attempts {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(Error::platform(format!(
            "cannot use {call}: {last_failure}; gave up after {} attempts",
            self.retry.attempts
        )))
    }

    /// Whether the kept connection can carry the next request: it is not
    /// closing and, for a post, not stale (a `GET` on a stale connection
    /// fails before any answer and is simply retried, so it is spared the
    /// peek's syscall).
    fn is_kept(&self, post: bool) -> bool {
        self.generation == crate::restore::generation()
            && self.connection.as_ref().is_some_and(|connection| {
                connection.is_reusable() && (!post || !connection.is_stale())
            })
    }

    /// Replaces the kept connection with a new one, connected within the
    /// call time limit.
    async fn connect(&mut self) -> Result<(), Failed> {
        self.connection = None;
        let not_left = |error| Failed { error, left: false };
        let connect = Connection::connect(&self.endpoint);
        let connection = match tokio::time::timeout(self.retry.call_timeout, connect).await {
            Ok(connected) => connected.map_err(not_left)?,
            Err(_) => return Err(not_left(timed_out(self.retry.call_timeout))),
        };
        self.connection = Some(connection);
        self.generation = crate::restore::generation();
        Ok(())
    }

    /// One attempt, on the kept connection unless it is closing or, for a
    /// post, stale (a `GET` on a stale connection fails before any answer
    /// and is simply retried, so it is spared the peek's syscall).
    /// `timeout` bounds the whole exchange; a connect is always bounded.
    async fn try_send(
        &mut self,
        method: &str,
        path: &[&str],
        headers: &[(&str, &str)],
        body: &[u8],
        timeout: Option<Duration>,
    ) -> Result<RawResponse, Failed> {
        if !self.is_kept(method != "GET") {
            self.connect().await?;
        }
        let Some(connection) = self.connection.as_mut() else {
            return Err(Failed {
                error: io::Error::other("no connection after connecting"),
                left: false,
            });
        };
        let exchange = connection.request(method, path, headers, body);
        let response = match timeout {
            Some(limit) => match tokio::time::timeout(limit, exchange).await {
                Ok(response) => response,
                Err(_) => Err(timed_out(limit)),
            },
            None => exchange.await,
        };
        let left = connection.request_left();
        if response.is_err() || !connection.is_reusable() {
            self.connection = None;
        }
        response.map_err(|error| Failed { error, left })
    }
}

/// A post whose body goes out in chunks, begun by
/// [`Client::start_streaming_post`]: send the chunks with
/// [`chunk`](Self::chunk), then [`finish`](Self::finish) with the trailers.
///
/// Its head has left, so it is never sent again. A chunk that cannot be
/// written within the call time limit is an `Err`; the connection is then
/// dropped (the next call reconnects), and the caller ends its body there:
/// the API saw an unfinished request, which is the answer's end.
#[derive(Debug)]
pub struct StreamingPost<'a> {
    client: &'a mut Client,
    call: String,
}

impl StreamingPost<'_> {
    /// Sends `data` as one chunk (nothing when it is empty).
    pub async fn chunk(&mut self, data: &[u8]) -> Result<(), Error> {
        let limit = self.client.retry.call_timeout;
        let Some(connection) = self.client.connection.as_mut() else {
            return Err(Error::platform(format!(
                "{}: the connection is gone",
                self.call
            )));
        };
        let written = match tokio::time::timeout(limit, connection.write_chunk(data)).await {
            Ok(written) => written,
            Err(_) => Err(timed_out(limit)),
        };
        written.map_err(|error| {
            self.client.connection = None;
            Error::platform(format!(
                "{}: the connection failed while the response was streamed: {error}",
                self.call
            ))
        })
    }

    /// Ends the body with `trailers` and reads the answer, as
    /// [`Client::post`] does: a 2xx is accepted, a 4xx a refusal, no whole
    /// answer [`PostStatus::Unconfirmed`]; `Err` for a 5xx or an answer
    /// that does not come within the call time limit.
    pub async fn finish(self, trailers: &[(&str, &str)]) -> Result<PostStatus, Error> {
        let limit = self.client.retry.call_timeout;
        let Some(connection) = self.client.connection.as_mut() else {
            return Err(Error::platform(format!(
                "{}: the connection is gone",
                self.call
            )));
        };
        let answer = match tokio::time::timeout(limit, connection.finish_chunked(trailers)).await {
            Ok(answer) => answer,
            Err(_) => Err(timed_out(limit)),
        };
        if answer.is_err() || !connection.is_reusable() {
            self.client.connection = None;
        }
        match answer {
            Ok(response) => post_status(&response, || self.call.clone()),
            Err(error) if error.kind() == io::ErrorKind::TimedOut => Err(Error::platform(format!(
                "{} did not answer within {limit:?}; not posting again",
                self.call
            ))),
            Err(error) if error.kind() == io::ErrorKind::InvalidInput => {
                Err(Error::platform(format!("{}: {error}", self.call)))
            }
            Err(error) => Ok(PostStatus::Unconfirmed(error.to_string())),
        }
    }
}

/// A post's answer as a [`PostStatus`]; a 5xx is a container error.
/// `call` names the post in that error; it is made only then, off the
/// per-invocation path.
fn post_status(response: &RawResponse, call: impl FnOnce() -> String) -> Result<PostStatus, Error> {
    let text = || String::from_utf8_lossy(&response.body).into_owned();
    match response.status {
        200..=299 => Ok(PostStatus::Accepted),
        status @ 500.. => Err(Error::platform(format!(
            "{} answered status {status}, a container error; not posting again: {}",
            call(),
            text()
        ))),
        status => Ok(PostStatus::Rejected(status, text())),
    }
}

fn timed_out(limit: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no answer within {limit:?}"),
    )
}
