//! [`OtlpExport`]: one signal's destination, with what every export of it
//! reuses.

use std::sync::Mutex;
use std::time::Duration;

use opentelemetry_sdk::Resource;
use tokio::time::Instant;

use super::{encode_resource, Encoder, OtlpSender};
use crate::otel::otlp_settings::OtlpSettings;
use crate::otel::Delivery;

/// The sender, the resource encoded once, the body buffer kept between
/// exports, and how long one attempt may take.
#[derive(Debug)]
pub(crate) struct OtlpExport {
    sender: OtlpSender,
    resource: Vec<u8>,
    buffer: Mutex<Vec<u8>>,
    /// `OTEL_EXPORTER_OTLP_TIMEOUT`.
    timeout: Duration,
}

impl OtlpExport {
    /// An export as `settings` say, or why it cannot send there (naming
    /// the variable at fault).
    pub(crate) fn new(settings: &OtlpSettings, resource: &Resource) -> Result<Self, String> {
        Ok(OtlpExport {
            sender: OtlpSender::new(settings)?,
            resource: encode_resource(resource),
            buffer: Mutex::new(Vec::new()),
            timeout: settings.timeout,
        })
    }

    /// Posts `body` within the phase's share of its budget (`closing`: at
    /// `Close`), once more if the first attempt failed fast enough, and
    /// tells `delivery` how it went. `Err` says why nothing was accepted;
    /// what to do with the items is the caller's.
    pub(crate) async fn deliver(
        &self,
        body: &Encoder,
        delivery: &Delivery,
        closing: bool,
    ) -> Result<(), String> {
        let limit = delivery.time_limit(closing, self.timeout);
        let deadline = Instant::now() + limit;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let reason =
                match tokio::time::timeout_at(deadline, self.sender.post(body.as_slice())).await {
                    Ok(Ok(None)) => {
                        delivery.succeeded();
                        return Ok(());
                    }
                    Ok(Ok(Some(partial))) => {
                        delivery.partly_rejected(self.url(), partial.rejected, &partial.message);
                        return Ok(());
                    }
                    Ok(Err(reason)) => reason,
                    Err(_) => format!(
                        "the OTLP export to {} did not finish within {} ms",
                        self.url(),
                        limit.as_millis()
                    ),
                };
            delivery.failed(&reason);
            if attempt >= 2 || Instant::now() + limit / 4 > deadline {
                return Err(reason);
            }
        }
    }

    /// Encodes one request body with `encode(encoder, encoded_resource)`,
    /// in the kept buffer. Give it back with [`recycle`](Self::recycle).
    pub(crate) fn encode(&self, encode: impl FnOnce(&mut Encoder, &[u8])) -> Encoder {
        let buffer = std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|p| p.into_inner()));
        let mut encoder = Encoder::reusing(buffer);
        encode(&mut encoder, &self.resource);
        encoder
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
