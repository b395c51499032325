//! The event to send: `--data`, `--file` or `--example`, checked to be JSON
//! before anything is sent, so a typo is reported with its line and column
//! rather than as the function's deserialisation error.

use std::path::Path;

use super::examples;

/// Where the event comes from.
#[derive(Debug, Clone)]
pub enum EventSource<'a> {
    /// JSON given on the command line.
    Data(&'a str),
    /// A file holding the JSON.
    File(&'a Path),
    /// A shipped example, by kind.
    Example(&'a str),
    /// None given: an empty JSON object, as `cargo lambda invoke` sends.
    Empty,
}

/// The event's bytes, or what is wrong with them and where. With
/// `require_json` false (an HTTP request's body) `--data` and `--file` are
/// sent as they are.
pub fn read(source: EventSource<'_>, require_json: bool) -> Result<Vec<u8>, String> {
    match source {
        EventSource::Data(json) => {
            if require_json {
                check_json(json.as_bytes())
                    .map_err(|at| format!("--data is not valid JSON: {at}"))?;
            }
            Ok(json.as_bytes().to_vec())
        }
        EventSource::File(path) => {
            let bytes = std::fs::read(path).map_err(|error| {
                format!("cannot read the event file {}: {error}", path.display())
            })?;
            if require_json {
                check_json(&bytes)
                    .map_err(|at| format!("{} is not valid JSON: {at}", path.display()))?;
            }
            Ok(bytes)
        }
        EventSource::Example(kind) => Ok(examples::find(kind)?.json.as_bytes().to_vec()),
        EventSource::Empty => Ok(b"{}".to_vec()),
    }
}

/// `Ok` for any JSON value; else serde's message, which ends with the line
/// and column.
fn check_json(bytes: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map(|_| ())
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_json_is_reported_with_its_line_and_column() {
        let error = read(EventSource::Data("{\n  \"a\": 1,\n  b: 2}"), true).unwrap_err();
        assert!(error.starts_with("--data is not valid JSON"), "{error}");
        assert!(error.contains("line 3 column 3"), "{error}");
    }

    #[test]
    fn an_unknown_example_lists_the_known_ones() {
        let error = read(EventSource::Example("kafka"), true).unwrap_err();
        assert!(error.contains("`kafka`"), "{error}");
        assert!(
            error.contains("apigw-rest") && error.contains("scf-timer"),
            "{error}"
        );
    }

    #[test]
    fn an_unreadable_file_names_the_file() {
        let error = read(
            EventSource::File(Path::new("/nonexistent/event.json")),
            true,
        )
        .unwrap_err();
        assert!(error.contains("/nonexistent/event.json"), "{error}");
    }
}
