//! Headers for gateways whose events carry one value per name (FC, SCF).

use std::collections::{BTreeMap, HashMap};

use http::{HeaderMap, HeaderName, HeaderValue};

use super::{Gateway, GatewayEventError};

/// One value per name: repeated headers joined with `", "`, as HTTP allows
/// for list-valued headers. Neither FC's nor SCF's documentation says how
/// several `Set-Cookie` headers are to be sent (unconfirmed), so they are
/// joined the same way; a function that sets several cookies there should
/// check what the client receives. Values that are not UTF-8 are dropped.
pub(crate) fn single_value_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in headers.keys() {
        let joined = headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ");
        out.insert(name.as_str().to_owned(), joined);
    }
    out
}

/// A name → value map as a `HeaderMap`; a name or value HTTP cannot carry
/// is an error naming it.
pub(crate) fn header_map(
    gateway: Gateway,
    headers: HashMap<String, String>,
) -> Result<HeaderMap, GatewayEventError> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|error| {
            GatewayEventError::field(gateway, "headers", format!("`{name}`: {error}"))
        })?;
        let value = HeaderValue::from_str(&value).map_err(|error| {
            GatewayEventError::field(gateway, "headers", format!("`{name}`: {error}"))
        })?;
        map.append(header, value);
    }
    Ok(map)
}
