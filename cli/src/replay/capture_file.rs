//! Reading a capture file: the format and version checked field by field
//! (the layers crate's strict [`Scene`]), then the event's bytes as the
//! platform sent them.

use std::path::Path;

use base64::Engine as _;
use light_runtime::layers::capture::Scene;

/// Reads and validates `path`; errors name the file and the field.
pub(super) fn read(path: &Path) -> Result<Scene, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Scene::from_slice(&bytes).map_err(|e| {
        format!(
            "{} is not a capture this build can replay: {e}",
            path.display()
        )
    })
}

/// The event's bytes; a cut event cannot be replayed.
pub(super) fn event_bytes(scene: &Scene) -> Result<Vec<u8>, String> {
    let event = &scene.event;
    if event.truncated {
        return Err(format!(
            "the event was cut to the capture size bound ({} of {} bytes kept, \
             `event.truncated` is true): it cannot be replayed; raise \
             LIGHT_RUNTIME_CAPTURE_MAX_BYTES where it was captured",
            event.body.as_str().map_or(0, str::len),
            event.original_bytes
        ));
    }
    match event.encoding.as_str() {
        "json" => serde_json::to_vec(&event.body).map_err(|e| format!("field `event.body`: {e}")),
        "text" => event
            .body
            .as_str()
            .map(|s| s.as_bytes().to_vec())
            .ok_or_else(|| "field `event.body`: a `text` event must be a string".to_owned()),
        "base64" => event
            .body
            .as_str()
            .ok_or_else(|| "field `event.body`: a `base64` event must be a string".to_owned())
            .and_then(|s| {
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|e| format!("field `event.body`: not base64: {e}"))
            }),
        other => Err(format!(
            "field `event.encoding` is `{other}`: expected `json`, `text` or `base64`"
        )),
    }
}
