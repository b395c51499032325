//! Reading a whole request body: within a size limit, into one buffer,
//! with the bytes of large bodies in flight capped, and stopped when
//! shutdown begins.
//!
//! Memory: a body is copied once, from hyper's read buffer into one buffer
//! sized by its `Content-Length` (a body of one frame is not copied at all),
//! and handed on as `Bytes`. Bodies over [`LARGE_BODY`] hold their size in
//! [`Bodies`]' byte budget from before their first byte is read until their
//! invocation is answered, so at most the budget's worth of large bodies
//! (by default one of the platform's largest) is in memory at once; the
//! others wait in the kernel's socket buffers.

use std::fmt;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use runtime_engine::{CancellationToken, Environment, Error, InvocationError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::BODY_BYTES_IN_FLIGHT_VAR;

/// Bodies up to this size are read without taking from the byte budget:
/// they are most requests, and together they stay small.
pub(crate) const LARGE_BODY: usize = 64 * 1024;

/// The request bodies of one server: their size limit and the byte budget
/// large ones share.
#[derive(Debug)]
pub(crate) struct Bodies {
    limit: usize,
    budget: usize,
    in_flight: Arc<Semaphore>,
}

/// A whole request body, and its share of the byte budget, held until
/// dropped (after the invocation is answered).
#[derive(Debug)]
pub(crate) struct ReadBody {
    pub(crate) bytes: Bytes,
    pub(crate) held: Option<OwnedSemaphorePermit>,
}

/// Why a request body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Larger than the platform accepts.
    TooLarge { limit: usize },
    /// The connection closed or broke before the whole body came.
    Broken(hyper::Error),
    /// Shutdown began before the whole body came.
    ShutdownBegan,
}

impl Bodies {
    /// Bodies of at most `limit` bytes; the budget of large bodies in flight
    /// from [`BODY_BYTES_IN_FLIGHT_VAR`], else `limit`.
    pub(crate) fn from_env(env: &Environment, limit: usize) -> Result<Bodies, Error> {
        let budget = match env.get(BODY_BYTES_IN_FLIGHT_VAR) {
            Some(text) => text.parse::<usize>().map_err(|_| {
                Error::config(format!(
                    "{BODY_BYTES_IN_FLIGHT_VAR} must be a number of bytes, got {text:?}"
                ))
            })?,
            None => limit,
        }
        .clamp(LARGE_BODY, u32::MAX as usize);
        Ok(Bodies {
            limit,
            budget,
            in_flight: Arc::new(Semaphore::new(budget)),
        })
    }

    /// Reads `body` whole, or says why not; stops when `stop` fires.
    pub(crate) async fn read(
        &self,
        mut body: Incoming,
        stop: &CancellationToken,
    ) -> Result<ReadBody, BodyError> {
        let hint = body.size_hint();
        if hint.lower() > self.limit as u64 {
            return Err(BodyError::TooLarge { limit: self.limit });
        }
        // Known and under the limit, so it fits in usize.
        let exact = hint.exact().map(|n| n as usize);
        let mut held = match exact {
            Some(length) if length > LARGE_BODY => Some(self.hold(length, stop).await?),
            _ => None,
        };
        let mut first = Bytes::new();
        let mut joined: Option<BytesMut> = None;
        loop {
            let frame = tokio::select! {
                biased;
                frame = body.frame() => frame,
                () = stop.cancelled() => return Err(BodyError::ShutdownBegan),
            };
            let Some(frame) = frame else { break };
            // Trailers carry no payload.
            let Ok(data) = frame.map_err(BodyError::Broken)?.into_data() else {
                continue;
            };
            let length = first.len() + joined.as_ref().map_or(0, BytesMut::len) + data.len();
            if length > self.limit {
                return Err(BodyError::TooLarge { limit: self.limit });
            }
            if length > LARGE_BODY && held.is_none() {
                // A body of unknown length grew large: hold the most it may
                // take, so no holder ever waits for more while holding some.
                held = Some(self.hold(self.limit, stop).await?);
            }
            match &mut joined {
                Some(joined) => joined.extend_from_slice(&data),
                None if first.is_empty() => first = data,
                None => {
                    let mut both = BytesMut::with_capacity(exact.unwrap_or(length).max(length));
                    both.extend_from_slice(&first);
                    both.extend_from_slice(&data);
                    first = Bytes::new();
                    joined = Some(both);
                }
            }
            // A body whose length is known ends with its last byte: no need
            // to ask hyper for the end (one poll less on every request).
            if body.is_end_stream() {
                break;
            }
        }
        Ok(ReadBody {
            bytes: joined.map_or(first, BytesMut::freeze),
            held,
        })
    }

    /// `bytes` of the budget (at most all of it), waiting for them unless
    /// shutdown begins.
    async fn hold(
        &self,
        bytes: usize,
        stop: &CancellationToken,
    ) -> Result<OwnedSemaphorePermit, BodyError> {
        let wanted = bytes.min(self.budget) as u32;
        tokio::select! {
            permit = self.in_flight.clone().acquire_many_owned(wanted) => {
                Ok(permit.expect("the body budget is never closed"))
            }
            () = stop.cancelled() => Err(BodyError::ShutdownBegan),
        }
    }
}

impl BodyError {
    /// The HTTP status of the answer, if the client is still there to read it.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Broken(_) => StatusCode::BAD_REQUEST,
            BodyError::ShutdownBegan => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The error the client is answered with.
    pub(crate) fn to_invocation_error(&self) -> InvocationError {
        let error_type = match self {
            BodyError::TooLarge { .. } => "Runtime.RequestTooLarge",
            BodyError::Broken(_) => "Runtime.IncompleteRequest",
            BodyError::ShutdownBegan => "Runtime.ShuttingDown",
        };
        InvocationError::runtime(error_type, self.to_string())
    }

    /// Says on stderr that request `request_id` was not invoked and why: the
    /// client may be gone, and the operator should know either way.
    pub(crate) fn report(&self, request_id: &str) {
        tracing::warn!("request {request_id:?} was not invoked: {self}");
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::TooLarge { limit } => write!(
                f,
                "the request body is larger than the limit of {limit} bytes; send a smaller payload"
            ),
            BodyError::Broken(error) => write!(
                f,
                "the request body could not be read whole ({error}); the client closed the \
                 connection or sent a malformed body"
            ),
            BodyError::ShutdownBegan => write!(
                f,
                "the instance began shutting down before the whole request body arrived; \
                 send it again to another instance"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const MIB: usize = 1024 * 1024;

    #[tokio::test]
    async fn a_large_body_waits_for_the_budget_and_shutdown_ends_the_wait() {
        let bodies = Bodies::from_env(&Environment::from_vars([("NONE", "")]), 4 * MIB).unwrap();
        let stop = CancellationToken::new();
        let first = bodies.hold(3 * MIB, &stop).await.unwrap();
        let second = tokio::time::timeout(Duration::from_millis(50), bodies.hold(2 * MIB, &stop));
        assert!(second.await.is_err(), "3 + 2 MiB is over the 4 MiB budget");
        drop(first);
        let second = bodies.hold(2 * MIB, &stop).await.unwrap();
        let waiting = bodies.hold(4 * MIB, &stop);
        stop.cancel();
        assert!(matches!(waiting.await, Err(BodyError::ShutdownBegan)));
        drop(second);
        let budget = Environment::from_vars([(BODY_BYTES_IN_FLIGHT_VAR, "not bytes")]);
        assert!(Bodies::from_env(&budget, MIB).is_err());
    }
}
