//! [`StreamedResponse`]: a response the runtime streamed
//! (`Lambda-Runtime-Function-Response-Mode: streaming`), recorded chunk by
//! chunk as it arrives, with its trailers; and the reading of such a body.

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::state::EmulatorState;

/// A streamed `/response` body as the emulator received it so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamedResponse {
    /// The body's pieces in arrival order, as the server read them: one
    /// per chunk the runtime wrote, unless the network split or joined
    /// them (loopback with small chunks keeps them apart).
    pub chunks: Vec<Bytes>,
    /// The trailers after the last chunk, names lower-cased.
    pub trailers: Vec<(String, String)>,
    /// Whether the body has ended (with its last chunk and trailers).
    pub complete: bool,
}

impl StreamedResponse {
    /// The chunks joined: the body received so far.
    pub fn body(&self) -> Bytes {
        let mut body = BytesMut::new();
        for chunk in &self.chunks {
            body.extend_from_slice(chunk);
        }
        body.freeze()
    }

    /// The first value of trailer `name` (case-insensitive).
    pub fn trailer(&self, name: &str) -> Option<&str> {
        crate::recorded::header(&self.trailers, name)
    }

    /// The `Lambda-Runtime-Function-Error-Type` trailer: the error the
    /// stream failed with midway, if it did.
    pub fn error_type(&self) -> Option<&str> {
        self.trailer("lambda-runtime-function-error-type")
    }

    /// The `Lambda-Runtime-Function-Error-Body` trailer, base64-decoded
    /// and parsed as JSON (`None` if absent or not base64 JSON).
    pub fn error_body(&self) -> Option<serde_json::Value> {
        let encoded = self.trailer("lambda-runtime-function-error-body")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        serde_json::from_slice(&decoded).ok()
    }
}

/// Reads a streamed body frame by frame into the record of `request_id`,
/// waking test-side waiters at each chunk; returns the whole body, or why
/// it ended early.
pub(crate) async fn read(
    shared: &EmulatorState,
    request_id: &str,
    mut body: Incoming,
) -> Result<Bytes, String> {
    shared
        .lock()
        .streams
        .insert(request_id.to_owned(), StreamedResponse::default());
    let mut whole = BytesMut::new();
    loop {
        let frame = match body.frame().await {
            None => break,
            Some(Ok(frame)) => frame,
            Some(Err(error)) => return Err(error.to_string()),
        };
        let mut state = shared.lock();
        let Some(streamed) = state.streams.get_mut(request_id) else {
            return Err("the stream's record is gone".to_owned());
        };
        match frame.into_data() {
            Ok(data) => {
                whole.extend_from_slice(&data);
                streamed.chunks.push(data);
            }
            Err(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    streamed
                        .trailers
                        .extend(trailers.iter().map(|(name, value)| {
                            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                            (name.as_str().to_owned(), value)
                        }));
                }
            }
        }
        drop(state);
        shared.changed.notify_waiters();
    }
    if let Some(streamed) = shared.lock().streams.get_mut(request_id) {
        streamed.complete = true;
    }
    shared.changed.notify_waiters();
    Ok(whole.freeze())
}
