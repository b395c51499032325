//! A duration as a user types it in an option or its environment variable:
//! `10s`, `1500ms`, `2m 30s` (humantime's forms), or a bare number of
//! seconds, as `timeout` and most platform consoles take it.

use std::time::Duration;

/// Parses `text`; the error shows the value and how to write one.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds)
            .map_err(|error| format!("`{text}` is not a duration: {error}"));
    }
    humantime::parse_duration(text).map_err(|error| {
        format!("`{text}` is not a duration ({error}): write e.g. `10s`, `1500ms` or `2m`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_user_writes_them() {
        assert_eq!(parse("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse("1500ms").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse(" 2m 30s ").unwrap(), Duration::from_secs(150));
        assert_eq!(parse("3").unwrap(), Duration::from_secs(3));
        assert_eq!(parse("0.25").unwrap(), Duration::from_millis(250));
        let error = parse("10 parsecs").unwrap_err();
        assert!(error.contains("`10 parsecs` is not a duration"), "{error}");
        assert!(parse("-1").unwrap_err().contains("not a duration"));
        assert!(parse("soon").unwrap_err().contains("e.g. `10s`"));
    }
}
