//! The Runtime API's error format: a JSON body and a type header.

use runtime_engine::InvocationError;

/// The JSON error body: `{"errorMessage", "errorType", "stackTrace"}`.
pub(crate) fn encode(error_type: &str, message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "errorMessage": message,
        "errorType": error_type,
        "stackTrace": [],
    }))
    .unwrap_or_else(|_| b"{}".to_vec())
}

/// The body for an invocation error.
pub(crate) fn for_invocation(error: &InvocationError) -> Vec<u8> {
    encode(error.error_type(), error.message())
}

/// The `Lambda-Runtime-Function-Error-Type` header value.
///
/// Lambda keeps values shaped `Runtime.Reason` or `Function.Reason` (RIE maps
/// anything else to `Runtime.Unknown`), so a bare type name such as
/// `ParseIntError` is sent as `Function.ParseIntError`.
pub(crate) fn header_type(error_type: &str) -> String {
    if is_category_reason(error_type) {
        return error_type.to_owned();
    }
    let reason: String = error_type
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    match reason.chars().next() {
        Some(first) if first.is_ascii_uppercase() && reason.len() > 1 => {
            format!("Function.{reason}")
        }
        _ => "Function.Unknown".to_owned(),
    }
}

fn is_category_reason(text: &str) -> bool {
    let Some((category, reason)) = text.split_once('.') else {
        return false;
    };
    matches!(category, "Runtime" | "Function")
        && reason.len() > 1
        && reason.starts_with(|c: char| c.is_ascii_uppercase())
        && reason.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_types_follow_category_reason() {
        assert_eq!(
            header_type("Runtime.MalformedEvent"),
            "Runtime.MalformedEvent"
        );
        assert_eq!(header_type("Function.Panic"), "Function.Panic");
        assert_eq!(header_type("ParseIntError"), "Function.ParseIntError");
        assert_eq!(header_type("my_error"), "Function.Unknown");
    }

    #[test]
    fn bodies_escape_messages() {
        let body = encode("X.Y", "a \"quoted\"\nline");
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["errorMessage"], "a \"quoted\"\nline");
        assert_eq!(value["errorType"], "X.Y");
    }
}
