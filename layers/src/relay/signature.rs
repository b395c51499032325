//! The relay's authentication: an HMAC-SHA256, keyed by the shared secret,
//! over the direction, the request id, a timestamp and the body, carried in
//! three headers on every invocation and every answer
//! (`docs/design/relay.md`).
//!
//! The direction is signed so an invocation cannot be reflected back as
//! its own answer; the request id so an answer to one invocation cannot
//! stand for another's; the timestamp, checked against a window, so an
//! old exchange cannot be replayed later.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the invocation's request id.
pub const REQUEST_ID_HEADER: &str = "x-light-runtime-relay-request-id";
/// The header carrying the signing time, in milliseconds since the epoch.
pub const TIMESTAMP_HEADER: &str = "x-light-runtime-relay-timestamp";
/// The header carrying `v1=` and the signature in hex.
pub const SIGNATURE_HEADER: &str = "x-light-runtime-relay-signature";

/// How far a signing time may be from the verifier's clock, either way.
pub const WINDOW: Duration = Duration::from_secs(300);

/// The shortest secret accepted: a guessable one would make the relay a
/// way into the function's traffic.
pub const MIN_SECRET_LEN: usize = 16;

/// Which way a signed message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Instance to laptop: an invocation.
    Invocation,
    /// Laptop to instance: its answer.
    Answer,
}

impl Direction {
    fn label(self) -> &'static str {
        match self {
            Direction::Invocation => "invocation",
            Direction::Answer => "answer",
        }
    }
}

/// The shared secret.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Why a message's signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// A header is missing or not in its form.
    Malformed(String),
    /// The signing time is outside [`WINDOW`].
    Stale {
        /// How far from now the signing time is, in milliseconds.
        skew_ms: i64,
    },
    /// The signature does not match: another secret, or an altered message.
    Mismatch,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Malformed(what) => write!(f, "{what}"),
            Rejection::Stale { skew_ms } => write!(
                f,
                "signed {} s from now, outside the {} s window (a replay, or a clock far off)",
                skew_ms / 1000,
                WINDOW.as_secs()
            ),
            Rejection::Mismatch => f.write_str(
                "the signature does not match (another secret, or the message was altered)",
            ),
        }
    }
}

impl Secret {
    /// The secret, refused when shorter than [`MIN_SECRET_LEN`] bytes.
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, String> {
        let secret = secret.into();
        if secret.len() < MIN_SECRET_LEN {
            return Err(format!(
                "the relay secret is {} bytes long; use at least {MIN_SECRET_LEN} \
                 (e.g. `openssl rand -hex 32`)",
                secret.len()
            ));
        }
        Ok(Secret(secret))
    }

    fn mac(
        &self,
        direction: Direction,
        request_id: &str,
        timestamp_ms: u64,
        body: &[u8],
    ) -> Hmac<Sha256> {
        // Any key length is valid for HMAC.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(b"light-runtime-relay v1\n");
        mac.update(direction.label().as_bytes());
        mac.update(b"\n");
        mac.update(request_id.as_bytes());
        mac.update(b"\n");
        mac.update(timestamp_ms.to_string().as_bytes());
        mac.update(b"\n");
        mac.update(body);
        mac
    }

    /// The three headers signing `body` for `request_id`, now.
    pub fn sign(
        &self,
        direction: Direction,
        request_id: &str,
        body: &[u8],
    ) -> [(&'static str, String); 3] {
        let timestamp_ms = now_ms();
        let tag = self
            .mac(direction, request_id, timestamp_ms, body)
            .finalize()
            .into_bytes();
        [
            (REQUEST_ID_HEADER, request_id.to_owned()),
            (TIMESTAMP_HEADER, timestamp_ms.to_string()),
            (SIGNATURE_HEADER, format!("v1={}", hex::encode(tag))),
        ]
    }

    /// Checks the headers of a message: `header` looks one up by its
    /// lowercase name. Returns the signed request id.
    pub fn verify<'a>(
        &self,
        direction: Direction,
        header: impl Fn(&str) -> Option<&'a str>,
        body: &[u8],
    ) -> Result<String, Rejection> {
        let get = |name: &str| {
            header(name).ok_or_else(|| Rejection::Malformed(format!("no {name} header")))
        };
        let request_id = get(REQUEST_ID_HEADER)?;
        let timestamp = get(TIMESTAMP_HEADER)?;
        let signature = get(SIGNATURE_HEADER)?;
        let timestamp_ms: u64 = timestamp.parse().map_err(|_| {
            Rejection::Malformed(format!(
                "{TIMESTAMP_HEADER} `{timestamp}` is not milliseconds"
            ))
        })?;
        let tag = signature
            .strip_prefix("v1=")
            .and_then(|hex_tag| hex::decode(hex_tag).ok())
            .ok_or_else(|| {
                Rejection::Malformed(format!("{SIGNATURE_HEADER} is not `v1=` and hex"))
            })?;
        self.mac(direction, request_id, timestamp_ms, body)
            .verify_slice(&tag)
            .map_err(|_| Rejection::Mismatch)?;
        // Checked after the signature, so an unauthenticated sender learns
        // nothing about the verifier's clock.
        let skew_ms = timestamp_ms as i64 - now_ms() as i64;
        if skew_ms.unsigned_abs() > WINDOW.as_millis() as u64 {
            return Err(Rejection::Stale { skew_ms });
        }
        Ok(request_id.to_owned())
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> Secret {
        Secret::new(text).unwrap()
    }

    fn lookup<'a>(headers: &'a [(&'static str, String)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |name| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    #[test]
    fn a_signed_message_verifies_and_any_change_is_refused() {
        let key = secret("0123456789abcdef-key");
        let headers = key.sign(Direction::Invocation, "req-1", b"{}");
        assert_eq!(
            key.verify(Direction::Invocation, lookup(&headers), b"{}")
                .unwrap(),
            "req-1"
        );
        let mismatch = Err(Rejection::Mismatch);
        assert_eq!(
            key.verify(Direction::Invocation, lookup(&headers), b"{ }"),
            mismatch
        );
        assert_eq!(
            key.verify(Direction::Answer, lookup(&headers), b"{}"),
            mismatch,
            "reflected"
        );
        let other = secret("0123456789abcdef-other");
        assert_eq!(
            other.verify(Direction::Invocation, lookup(&headers), b"{}"),
            mismatch
        );
        let mut renamed = headers.clone();
        renamed[0].1 = "req-2".into();
        assert_eq!(
            key.verify(Direction::Invocation, lookup(&renamed), b"{}"),
            mismatch
        );
    }

    #[test]
    fn an_old_message_is_refused_as_a_replay() {
        let key = secret("0123456789abcdef-key");
        let old = now_ms() - WINDOW.as_millis() as u64 - 1000;
        let tag = key
            .mac(Direction::Answer, "req-1", old, b"x")
            .finalize()
            .into_bytes();
        let headers = [
            (REQUEST_ID_HEADER, "req-1".to_owned()),
            (TIMESTAMP_HEADER, old.to_string()),
            (SIGNATURE_HEADER, format!("v1={}", hex::encode(tag))),
        ];
        let refused = key
            .verify(Direction::Answer, lookup(&headers), b"x")
            .unwrap_err();
        assert!(
            matches!(refused, Rejection::Stale { skew_ms } if skew_ms < -300_000),
            "{refused:?}"
        );
    }

    #[test]
    fn missing_headers_and_short_secrets_are_named() {
        let key = secret("0123456789abcdef-key");
        let refused = key.verify(Direction::Answer, |_| None, b"").unwrap_err();
        assert_eq!(
            refused.to_string(),
            format!("no {REQUEST_ID_HEADER} header")
        );
        assert!(Secret::new("short").unwrap_err().contains("at least 16"));
    }
}
