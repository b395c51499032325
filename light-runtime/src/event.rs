//! Decoding the raw payload into the handler's event type.

use runtime_engine::InvocationError;
use serde::de::DeserializeOwned;

use crate::error::short_type_name;

/// Decodes `payload` as JSON into `E`, or explains exactly where it is wrong:
/// the JSON path, and the line and column.
pub fn decode<E: DeserializeOwned>(payload: &[u8]) -> Result<E, InvocationError> {
    // The fast path: tracking the JSON path costs more than the decoding of
    // a small event itself, and only an error message needs it.
    match serde_json::from_slice(payload) {
        Ok(event) => Ok(event),
        Err(_) => Err(explain::<E>(payload)),
    }
}

/// Decodes `payload` again, tracking the path, to say where it is wrong.
#[cold]
fn explain<E: DeserializeOwned>(payload: &[u8]) -> InvocationError {
    let target = short_type_name(std::any::type_name::<E>());
    let mut deserializer = serde_json::Deserializer::from_slice(payload);
    let error = match serde_path_to_error::deserialize::<_, E>(&mut deserializer) {
        Err(error) => error,
        Ok(_) => {
            return match deserializer.end() {
                Err(error) => InvocationError::malformed_event(format!(
                    "the event is not a valid `{target}`: {error}"
                )),
                // Both decoders read the same JSON; this is never reached.
                Ok(()) => {
                    InvocationError::malformed_event(format!("the event is not a valid `{target}`"))
                }
            };
        }
    };
    let path = error.path().to_string();
    let place = if path == "." || path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    };
    InvocationError::malformed_event(format!(
        "the event is not a valid `{target}`{place}: {}",
        error.into_inner()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Order {
        items: Vec<Item>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        qty: u32,
    }

    #[test]
    fn errors_name_the_path_and_column() {
        let error = decode::<Order>(br#"{"items":[{"qty":1},{"qty":"x"}]}"#).unwrap_err();
        assert_eq!(error.error_type(), "Runtime.MalformedEvent");
        assert!(
            error.message().contains("`items[1].qty`"),
            "{}",
            error.message()
        );
        assert!(error.message().contains("column 30"), "{}", error.message());
        assert!(error.message().contains("`Order`"), "{}", error.message());
    }

    #[test]
    fn trailing_garbage_and_bad_syntax_are_malformed() {
        assert!(decode::<serde_json::Value>(b"{} x").is_err());
        let error = decode::<serde_json::Value>(b"{\"a\":").unwrap_err();
        assert!(error.message().contains("line 1"), "{}", error.message());
    }
}
