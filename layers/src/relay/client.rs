//! The instance's side of the wire: keep-alive connections it opens
//! outward to the relay (instances cannot be dialled into), one exchange
//! each at a time, through the workspace's HTTP client.

use std::io;
use std::sync::Mutex;

use light_runtime_http_client::{Connection, RawResponse};

/// Where the relay listens, parsed from `LIGHT_RUNTIME_RELAY`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayUrl {
    /// `host:port`, what the connection dials.
    pub endpoint: String,
    /// The path the URL carries (`/base`), without a trailing `/`.
    pub base_path: String,
}

impl RelayUrl {
    /// Reads `http://host:port[/base]` (or `host:port`).
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let rest = if let Some(rest) = url.strip_prefix("http://") {
            rest
        } else if url.starts_with("https://") {
            return Err(format!(
                "the relay URL `{url}` is https, which the relay does not speak yet; \
                 point it at a plain-TCP tunnel (`ssh -R`, frp, `cloudflared access tcp`) \
                 as http://host:port"
            ));
        } else if url.contains("://") {
            return Err(format!("the relay URL `{url}` must start with http://"));
        } else {
            url
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        let Some((host, port)) = authority.rsplit_once(':') else {
            return Err(format!(
                "the relay URL `{url}` has no port (http://host:port)"
            ));
        };
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(format!(
                "the relay URL `{url}` is not http://host:port[/path]"
            ));
        }
        Ok(RelayUrl {
            endpoint: authority.to_owned(),
            base_path: path.trim_end_matches('/').to_owned(),
        })
    }
}

/// Why an exchange failed, and whether the relay may have seen it.
#[derive(Debug)]
pub(crate) enum ExchangeError {
    /// Nothing reached the relay: no connection, or refused before a byte left.
    NotSent(io::Error),
    /// The request left and the connection broke before a whole answer.
    Broken(io::Error),
}

/// Idle keep-alive connections to the relay.
#[derive(Debug)]
pub(crate) struct RelayClient {
    url: RelayUrl,
    idle: Mutex<Vec<Connection>>,
}

impl RelayClient {
    pub(crate) fn new(url: RelayUrl) -> Self {
        RelayClient {
            url,
            idle: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn url(&self) -> &RelayUrl {
        &self.url
    }

    /// Posts `body` with `headers` to the invocations path and reads the
    /// answer. A pooled connection found closed before anything left is
    /// replaced by a new one; once bytes left, nothing is sent again (the
    /// laptop may be running the invocation).
    pub(crate) async fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<RawResponse, ExchangeError> {
        loop {
            let pooled = self.take_idle();
            let reused = pooled.is_some();
            let mut connection = match pooled {
                Some(connection) => connection,
                None => Connection::connect(&self.url.endpoint)
                    .await
                    .map_err(ExchangeError::NotSent)?,
            };
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(name, value)| (*name, value.as_str()))
                .chain([("Content-Type", "application/json")])
                .collect();
            match connection
                .request("POST", &[&self.url.base_path, path], &headers, body)
                .await
            {
                Ok(response) => {
                    if connection.is_reusable() {
                        self.idle
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(connection);
                    }
                    return Ok(response);
                }
                Err(error) if reused && !connection.request_left() => {
                    tracing::debug!(%error, "a kept-alive relay connection had closed; reconnecting");
                }
                Err(error) if connection.request_left() => {
                    return Err(ExchangeError::Broken(error))
                }
                Err(error) => return Err(ExchangeError::NotSent(error)),
            }
        }
    }

    fn take_idle(&self) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(connection) = idle.pop() {
            if !connection.is_stale() {
                return Some(connection);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_read_or_refused_with_the_reason() {
        let url = RelayUrl::parse("http://127.0.0.1:7070/dev/").unwrap();
        assert_eq!(
            (url.endpoint.as_str(), url.base_path.as_str()),
            ("127.0.0.1:7070", "/dev")
        );
        let bare = RelayUrl::parse("localhost:7070").unwrap();
        assert_eq!(
            (bare.endpoint.as_str(), bare.base_path.as_str()),
            ("localhost:7070", "")
        );
        assert!(RelayUrl::parse("https://x.example:443")
            .unwrap_err()
            .contains("https"));
        assert!(RelayUrl::parse("http://x.example")
            .unwrap_err()
            .contains("no port"));
        assert!(RelayUrl::parse("ftp://x:1")
            .unwrap_err()
            .contains("http://"));
        assert!(RelayUrl::parse("http://x:port")
            .unwrap_err()
            .contains("not http://host:port"));
    }
}
