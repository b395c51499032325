//! [`StreamedReply`]: a reply read chunk by chunk as the function writes
//! it ([`Caller::send_streamed`]), to see when each chunk arrives.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;

use crate::caller::Caller;

/// A reply whose head has arrived and whose body is read as it comes.
#[derive(Debug)]
pub struct StreamedReply {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    body: Incoming,
    /// The connection, given back to the caller once the body has ended.
    connection: Option<(Caller, SendRequest<Full<Bytes>>)>,
}

impl StreamedReply {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::recorded::header(&self.headers, name)
    }

    /// The next piece of the body, waiting up to `timeout`: `Ok(None)` at
    /// the end of a complete body, an error if the body was cut short (the
    /// server closed the connection before the last chunk) or on timeout.
    pub async fn next_chunk(&mut self, timeout: Duration) -> io::Result<Option<Bytes>> {
        loop {
            let frame = tokio::time::timeout(timeout, self.body.frame())
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no chunk in time"))?;
            match frame {
                None => {
                    if let Some((caller, sender)) = self.connection.take() {
                        caller.keep_idle(sender);
                    }
                    return Ok(None);
                }
                Some(Err(error)) => return Err(io::Error::other(error)),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    /// The rest of the body, each piece within `timeout`.
    pub async fn rest(&mut self, timeout: Duration) -> io::Result<Vec<u8>> {
        let mut rest = Vec::new();
        while let Some(chunk) = self.next_chunk(timeout).await? {
            rest.extend_from_slice(&chunk);
        }
        Ok(rest)
    }
}

impl Caller {
    /// Sends `request` and waits up to `timeout` for the reply's head; the
    /// body is then read with [`StreamedReply::next_chunk`]. Not recorded
    /// among the [`exchanges`](Self::exchanges), whose replies are whole.
    pub async fn send_streamed(
        &self,
        request: Request<Bytes>,
        timeout: Duration,
    ) -> io::Result<StreamedReply> {
        let exchange = async {
            let mut sender = self.connection().await?;
            let response = sender
                .send_request(request.map(Full::new))
                .await
                .map_err(io::Error::other)?;
            Ok::<_, io::Error>((sender, response))
        };
        let (sender, response) = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply in time"))??;
        let (parts, body) = response.into_parts();
        Ok(StreamedReply {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                    (n.as_str().to_owned(), value)
                })
                .collect(),
            body,
            connection: Some((self.clone(), sender)),
        })
    }
}
