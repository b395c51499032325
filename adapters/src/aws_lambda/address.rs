//! Where the Runtime API is: `AWS_LAMBDA_RUNTIME_API` read in both the
//! forms found in the wild. Lambda itself sets `host:port`; cargo-lambda's
//! `watch` sets a URL with a scheme and a base path
//! (`http://127.0.0.1:9000/.rt`), under which every Runtime and Extensions
//! API path lives.

use std::fmt;
use std::sync::Arc;

use super::runtime_api::RUNTIME_API_VAR;

/// The Runtime API's address: what to connect to, and the path every call
/// starts with (empty for Lambda's own `host:port`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuntimeApiAddress {
    /// `host:port`, to connect to.
    pub(crate) authority: Arc<str>,
    /// The base path, without a trailing `/` (`""` or `/.rt`).
    pub(crate) base: Arc<str>,
    /// The variable's value as it was given, for messages.
    given: Arc<str>,
}

impl RuntimeApiAddress {
    /// Reads `value` (`host:port`, `http://host:port` or
    /// `http://host:port/base`), or says what is wrong with it.
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        let wrong = |why: &str| format!("{RUNTIME_API_VAR}={value:?} {why}");
        let rest = match value.split_once("://") {
            None => value,
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(wrong(&format!(
                    "has the scheme `{scheme}`; the Runtime API is plain HTTP \
                     (`host:port` or `http://host:port/base`)"
                )))
            }
        };
        let (authority, base) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, ""),
        };
        if base.contains(['?', '#']) {
            return Err(wrong(
                "has a query or fragment; give a host, a port and at most a path",
            ));
        }
        let connectable = authority
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !connectable {
            return Err(wrong("does not name a `host:port` to connect to"));
        }
        Ok(RuntimeApiAddress {
            authority: authority.into(),
            base: base.trim_end_matches('/').into(),
            given: value.into(),
        })
    }
}

impl fmt::Display for RuntimeApiAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.given)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: &str) -> (String, String) {
        let address = RuntimeApiAddress::parse(value).unwrap();
        (address.authority.to_string(), address.base.to_string())
    }

    #[test]
    fn lambda_and_cargo_lambda_forms_are_read() {
        let plain = ("127.0.0.1:9001".to_owned(), String::new());
        assert_eq!(read("127.0.0.1:9001"), plain);
        assert_eq!(read("http://127.0.0.1:9001"), plain);
        assert_eq!(read("HTTP://127.0.0.1:9001/"), plain);
        let based = ("127.0.0.1:9000".to_owned(), "/.rt".to_owned());
        assert_eq!(read("http://127.0.0.1:9000/.rt"), based);
        assert_eq!(read("http://127.0.0.1:9000/.rt/"), based);
        assert_eq!(read("127.0.0.1:9000/.rt"), based);
        assert_eq!(read("localhost:9001").0, "localhost:9001");
        assert_eq!(read("[::1]:9001").0, "[::1]:9001");
    }

    #[test]
    fn wrong_values_say_what_is_wrong() {
        for (value, says) in [
            ("https://127.0.0.1:9001", "scheme `https`"),
            ("127.0.0.1", "`host:port`"),
            ("http://:9001", "`host:port`"),
            ("127.0.0.1:port", "`host:port`"),
            ("http://127.0.0.1:9001/.rt?x=1", "query"),
            ("", "`host:port`"),
        ] {
            let error = RuntimeApiAddress::parse(value).unwrap_err();
            assert!(error.contains(RUNTIME_API_VAR), "{error}");
            assert!(error.contains(says), "{value}: {error}");
        }
    }
}
