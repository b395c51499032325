//! [`OtlpSender`]: posts one signal's encoded requests where its settings
//! say, on the fast path when they allow it.

use super::hyper_http::HyperHttp;
use super::plain_http::PlainHttp;
use super::response::PartialSuccess;
use crate::otel::otlp_settings::{OtlpSettings, Protocol};

/// The plain keep-alive client for `http://` + http/protobuf without
/// compression, hyper for everything else.
#[derive(Debug)]
// One per signal, built once: its size does not matter, and boxing the
// plain sender would add a pointer chase to every fast-path export.
#[allow(clippy::large_enum_variant)]
pub(crate) enum OtlpSender {
    /// The fast path: the common set-up, a collector next to the function.
    Plain(PlainHttp),
    /// `https://`, gRPC, gzip or http/json.
    Hyper(HyperHttp),
}

impl OtlpSender {
    /// A sender for `settings`, or why it cannot send there, naming the
    /// variable at fault.
    pub(crate) fn new(settings: &OtlpSettings) -> Result<Self, String> {
        let plain = settings.protocol == Protocol::HttpProtobuf
            && !settings.gzip
            && settings.url.starts_with("http://");
        if plain {
            PlainHttp::new(&settings.url, &settings.headers)
                .map(OtlpSender::Plain)
                .map_err(|reason| format!("{}: {reason}", settings.url_source))
        } else {
            HyperHttp::new(settings).map(OtlpSender::Hyper)
        }
    }

    /// The URL posted to.
    pub(crate) fn url(&self) -> &str {
        match self {
            OtlpSender::Plain(sender) => sender.url(),
            OtlpSender::Hyper(sender) => sender.url(),
        }
    }

    /// Posts `body`, an encoded protobuf request; `Err` says why it was not
    /// accepted, `Ok(Some(..))` what the collector accepted but refused.
    pub(crate) async fn post(&self, body: &[u8]) -> Result<Option<PartialSuccess>, String> {
        match self {
            OtlpSender::Plain(sender) => sender.post(body).await,
            OtlpSender::Hyper(sender) => sender.post(body).await,
        }
    }
}
