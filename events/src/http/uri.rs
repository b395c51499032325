//! The request URI from a gateway's host, path, stage and query: absolute
//! (`https://host/path?query`) when the host is known, as the client sent it.

use http::HeaderMap;
use percent_encoding::{AsciiSet, CONTROLS};

/// What a URL path must encode (the WHATWG URL "path percent-encode set");
/// `%` is left alone so an already encoded path stays as it is.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Whether the stage goes in front of the path (`/prod/orders`), as the
/// client called it on the API's own domain, or is left out (`/orders`),
/// as the routes were written. `$default` is never added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StageInPath {
    /// `/prod/orders`: the URI the client called (what `lambda_http` does).
    #[default]
    Keep,
    /// `/orders`: the path as the API's routes name it (what `lambda_http`
    /// does with `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` set).
    Strip,
}

/// `path` with `/stage` in front, unless told not to, the stage is
/// `$default` or absent, or the path already starts with it.
pub(crate) fn with_stage(stage: Option<&str>, path: &str, policy: StageInPath) -> String {
    match stage {
        Some(stage) if policy == StageInPath::Keep && stage != "$default" => {
            let rest = path.strip_prefix('/').unwrap_or(path);
            let already = rest
                .strip_prefix(stage)
                .is_some_and(|after| after.starts_with('/'));
            if already {
                path.to_owned()
            } else {
                format!("/{stage}{path}")
            }
        }
        _ => path.to_owned(),
    }
}

/// The URI: `scheme://host` (scheme from `X-Forwarded-Proto`, else https)
/// when a host is known, the encoded path (`/` when empty), then `?query`
/// when there is one.
pub(crate) fn build(headers: &HeaderMap, host: Option<&str>, path: &str, query: &str) -> String {
    let mut uri = String::with_capacity(path.len() + query.len() + 48);
    if let Some(host) = host.filter(|host| !host.is_empty()) {
        let scheme = headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("https");
        uri.push_str(scheme);
        uri.push_str("://");
        uri.push_str(&host.to_ascii_lowercase());
    }
    if !path.starts_with('/') {
        uri.push('/');
    }
    uri.extend(percent_encoding::utf8_percent_encode(path, PATH));
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(query);
    }
    uri
}

/// `key=value&…` from decoded pairs, form-encoded, keys in sorted order so
/// the same event always gives the same URI.
pub(crate) fn query_from_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs.collect();
    // Stable: the values of a repeated key keep the gateway's order.
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stage_is_added_once_and_never_for_default() {
        assert_eq!(
            with_stage(Some("prod"), "/orders", StageInPath::Keep),
            "/prod/orders"
        );
        assert_eq!(
            with_stage(Some("prod"), "/prod/orders", StageInPath::Keep),
            "/prod/orders"
        );
        assert_eq!(
            with_stage(Some("prod"), "/production", StageInPath::Keep),
            "/prod/production"
        );
        assert_eq!(
            with_stage(Some("$default"), "/orders", StageInPath::Keep),
            "/orders"
        );
        assert_eq!(
            with_stage(Some("prod"), "/orders", StageInPath::Strip),
            "/orders"
        );
    }

    #[test]
    fn uris_are_absolute_with_a_host_and_encode_what_a_path_cannot_hold() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            build(&headers, Some("API.example.com"), "/a b/ü", "x=1"),
            "https://api.example.com/a%20b/%C3%BC?x=1"
        );
        headers.insert("x-forwarded-proto", "http".parse().unwrap());
        assert_eq!(build(&headers, Some("h"), "", ""), "http://h/");
        assert_eq!(build(&headers, None, "/p%2Fq", ""), "/p%2Fq");
        assert_eq!(
            query_from_pairs([("b", "2"), ("a", "x y"), ("b", "1")].into_iter()),
            "a=x+y&b=2&b=1"
        );
    }
}
