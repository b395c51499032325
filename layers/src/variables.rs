//! Reading a variable's value from the [`Environment`]: a flag, a
//! duration, one of a few choices. An invalid value is never fatal; it
//! gives one clear warning naming the variable and the default used
//! instead.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use runtime_engine::Environment;

/// A boolean variable: `1`, `true`, `yes`, `on` (any case) or their opposites.
pub(crate) fn flag(env: &Environment, name: &str, default: bool) -> bool {
    match env.get(name) {
        None => default,
        Some(value) => match value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => {
                warn_invalid(name, &value, "true or false", &default.to_string());
                default
            }
        },
    }
}

/// A duration in whole milliseconds.
#[cfg_attr(
    not(any(feature = "timeout", feature = "metrics", feature = "trace")),
    allow(dead_code)
)]
pub(crate) fn millis(env: &Environment, name: &str, default: Duration) -> Duration {
    match env.get(name) {
        None => default,
        Some(value) => match value.trim().parse::<u64>() {
            Ok(ms) => Duration::from_millis(ms),
            Err(_) => {
                let default_text = format!("{} ms", default.as_millis());
                warn_invalid(
                    name,
                    &value,
                    "a whole number of milliseconds",
                    &default_text,
                );
                default
            }
        },
    }
}

/// One of `choices` (compared ignoring case), returned in lower case.
pub(crate) fn choice(
    env: &Environment,
    name: &str,
    choices: &[&'static str],
    default: &'static str,
) -> &'static str {
    match env.get(name) {
        None => default,
        Some(value) => match choices
            .iter()
            .find(|c| c.eq_ignore_ascii_case(value.trim()))
        {
            Some(choice) => choice,
            None => {
                warn_invalid(name, &value, &choices.join(", "), default);
                default
            }
        },
    }
}

/// Logs that `name=value` is invalid and which default is used, once per
/// process: the metrics and tracing layers each read the same `OTEL_*`
/// variables, and one bad value is one warning.
///
/// Variables may be read before any subscriber exists, so the warning goes
/// to stderr when `tracing` would drop it ([`crate::subscriber::warn`]).
pub(crate) fn warn_invalid(name: &str, value: &str, expected: &str, default: &str) {
    static WARNED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let message = format!(
        "light-runtime: {name}=`{value}` is not valid (expected {expected}); using {default}"
    );
    let first = WARNED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(message.clone());
    if first {
        crate::subscriber::warn(&message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_values_fall_back_to_defaults() {
        let env =
            Environment::from_vars([("A", "maybe"), ("B", "12x"), ("C", "JSON"), ("D", "xml")]);
        assert!(flag(&env, "A", true));
        assert_eq!(
            millis(&env, "B", Duration::from_millis(7)),
            Duration::from_millis(7)
        );
        assert_eq!(choice(&env, "C", &["json", "text"], "text"), "json");
        assert_eq!(choice(&env, "D", &["json", "text"], "text"), "text");
        assert_eq!(choice(&env, "unset", &["json"], "json"), "json");
    }
}
