//! [`OtlpExport`]: one signal's destination, with what every export of it
//! reuses.

use std::sync::Mutex;

use opentelemetry_sdk::Resource;

use super::{encode_resource, Encoder, OtlpSender, PartialSuccess};

/// The sender, the resource encoded once, and the body buffer kept between
/// exports.
#[derive(Debug)]
pub(crate) struct OtlpExport {
    sender: OtlpSender,
    resource: Vec<u8>,
    buffer: Mutex<Vec<u8>>,
}

impl OtlpExport {
    /// An export to `url` with extra `headers`, or why it cannot send there.
    pub(crate) fn new<'a>(
        url: &str,
        headers: impl IntoIterator<Item = (&'a String, &'a String)>,
        resource: &Resource,
    ) -> Result<Self, String> {
        Ok(OtlpExport {
            sender: OtlpSender::new(url, headers)?,
            resource: encode_resource(resource),
            buffer: Mutex::new(Vec::new()),
        })
    }

    /// Encodes one request body with `encode(encoder, encoded_resource)`,
    /// in the kept buffer. Give it back with [`recycle`](Self::recycle).
    pub(crate) fn encode(&self, encode: impl FnOnce(&mut Encoder, &[u8])) -> Encoder {
        let buffer = std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|p| p.into_inner()));
        let mut encoder = Encoder::reusing(buffer);
        encode(&mut encoder, &self.resource);
        encoder
    }

    /// Posts an encoded body; `Err` says why it was not accepted,
    /// `Ok(Some(..))` what the collector accepted but refused.
    pub(crate) async fn post(&self, body: &Encoder) -> Result<Option<PartialSuccess>, String> {
        self.sender.post(body.as_slice()).await
    }

    /// Keeps `body`'s buffer for the next export.
    pub(crate) fn recycle(&self, body: Encoder) {
        *self.buffer.lock().unwrap_or_else(|p| p.into_inner()) = body.into_inner();
    }

    /// The URL posted to.
    pub(crate) fn url(&self) -> &str {
        self.sender.url()
    }
}
