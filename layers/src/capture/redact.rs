//! Redaction: what never leaves the process.
//!
//! Three passes over a scene before it is serialised (see
//! `docs/capture.md`, "Redaction"):
//! 1. the configured JSON pointers of the event (descending into JSON held
//!    in strings, as API Gateway's `body` is);
//! 2. every value under a sensitive key (`password`, `secret`, `token`,
//!    `authorization`, `cookie`, `api_key`, ...) at any depth of the event,
//!    the headers and the client context, with JSON-in-string parsed;
//! 3. every string of the whole scene scrubbed of the values found so far
//!    and of the process's own credentials wherever they appear (a log line
//!    that prints a redacted password), of `AKIA...`/`ASIA...` key ids,
//!    and of `key=value` / `"key": "value"` pairs with a sensitive key.
//!
//! A redacted value becomes `hmac-sha256:<hex>` keyed with
//! `LIGHT_RUNTIME_CAPTURE_KEY` (equal values stay comparable, unreadable),
//! or `[redacted]` without a key.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::scene::{HASH_PREFIX, REDACTED};

/// Key names (lower case, matched as substrings) whose values are secrets.
const SENSITIVE_KEYS: [&str; 12] = [
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "api-key",
    "credential",
    "private_key",
    "signature",
];

/// A found secret shorter than this is not searched for elsewhere: it
/// would match too much (and a hash's hex digits).
const MIN_SCRUB_LEN: usize = 6;

/// Whether a JSON key or header name holds a secret.
pub fn is_sensitive_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    SENSITIVE_KEYS.iter().any(|s| lower.contains(s)) || lower == "x-amz-security-token"
}

/// The configured redaction: pointers, key, and the process's own secrets.
#[derive(Clone, Default)]
pub struct Policy {
    pointers: Vec<String>,
    key: Option<Vec<u8>>,
    known: Vec<String>,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("pointers", &self.pointers)
            .field("key", &self.key.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// A policy with these JSON pointers into the event (each starts with
    /// `/`), this hash key, and these values to scrub wherever they appear
    /// (the process's credentials).
    pub fn new(pointers: Vec<String>, key: Option<Vec<u8>>, known: Vec<String>) -> Self {
        let mut known: Vec<String> = known
            .into_iter()
            .filter(|k| k.len() >= MIN_SCRUB_LEN)
            .collect();
        if let Some(key) = &key {
            if let Ok(text) = std::str::from_utf8(key) {
                if text.len() >= MIN_SCRUB_LEN {
                    known.push(text.to_owned());
                }
            }
        }
        Policy {
            pointers,
            key,
            known,
        }
    }

    /// The configured pointers.
    pub fn pointers(&self) -> &[String] {
        &self.pointers
    }

    /// What `value` is replaced with.
    pub fn placeholder(&self, value: &str) -> String {
        match &self.key {
            None => REDACTED.to_owned(),
            Some(key) => {
                // HMAC accepts keys of any length; `new_from_slice` cannot fail.
                let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
                mac.update(value.as_bytes());
                let digest = mac.finalize().into_bytes();
                let mut out = String::with_capacity(HASH_PREFIX.len() + 64);
                out.push_str(HASH_PREFIX);
                for byte in digest {
                    out.push_str(&format!("{byte:02x}"));
                }
                out
            }
        }
    }

    /// A redaction run over one scene.
    pub fn run(&self) -> Redaction<'_> {
        Redaction {
            policy: self,
            found: self.known.clone(),
            redacted: Vec::new(),
        }
    }
}

/// One scene's redaction: the secrets found so far (scrubbed from every
/// string in the last pass) and the pointers of what was replaced.
#[derive(Debug)]
pub struct Redaction<'p> {
    policy: &'p Policy,
    found: Vec<String>,
    redacted: Vec<String>,
}

impl Redaction<'_> {
    /// Adds values to scrub wherever they appear (credentials the
    /// platform handed this invocation).
    pub fn known(&mut self, values: impl IntoIterator<Item = String>) {
        self.found
            .extend(values.into_iter().filter(|v| v.len() >= MIN_SCRUB_LEN));
    }

    /// The pointers (into the capture file) of every replaced value.
    pub fn into_redacted(mut self) -> Vec<String> {
        self.redacted.sort();
        self.redacted.dedup();
        self.redacted
    }

    /// Pass 1: the configured pointers, in the event at `base` (the
    /// event's pointer in the file).
    pub fn pointers(&mut self, event: &mut Value, base: &str) {
        for pointer in self.policy.pointers.clone() {
            let segments: Vec<String> = pointer
                .split('/')
                .skip(1)
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect();
            self.at_pointer(event, &segments, format!("{base}{pointer}"));
        }
    }

    fn at_pointer(&mut self, value: &mut Value, segments: &[String], path: String) {
        let Some((first, rest)) = segments.split_first() else {
            self.replace(value, path);
            return;
        };
        match value {
            Value::Object(map) => {
                if let Some(child) = map.get_mut(first) {
                    self.at_pointer(child, rest, path);
                }
            }
            Value::Array(items) => {
                if let Some(child) = first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    self.at_pointer(child, rest, path);
                }
            }
            Value::String(text) => {
                // JSON carried in a string (API Gateway's `body`).
                if let Some(mut inner) = parse_embedded(text) {
                    self.at_pointer(&mut inner, segments, path);
                    *text = inner.to_string();
                }
            }
            _ => {}
        }
    }

    /// Pass 2: values under sensitive keys, at any depth, JSON-in-string
    /// included. `path` is `value`'s pointer in the file.
    pub fn keys(&mut self, value: &mut Value, path: &str) {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    let child_path = format!("{path}/{}", escape(key));
                    if is_sensitive_key(key) && !is_placeholder(child) {
                        self.replace(child, child_path);
                    } else {
                        self.keys(child, &child_path);
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    self.keys(child, &format!("{path}/{i}"));
                }
            }
            Value::String(text) => {
                if let Some(mut inner) = parse_embedded(text) {
                    let before = self.redacted.len();
                    self.keys(&mut inner, path);
                    if self.redacted.len() != before {
                        *text = inner.to_string();
                    }
                }
            }
            _ => {}
        }
    }

    /// Pass 2 for headers: a sensitive name's value is replaced; a value
    /// holding JSON (a client context) is searched by key.
    pub fn headers(&mut self, headers: &mut [(String, String)], path: &str) {
        for (i, (name, value)) in headers.iter_mut().enumerate() {
            let value_path = format!("{path}/{i}/1");
            if is_sensitive_key(name) || name.eq_ignore_ascii_case("proxy-authorization") {
                let mut v = Value::String(std::mem::take(value));
                self.replace(&mut v, value_path);
                *value = v.as_str().unwrap_or(REDACTED).to_owned();
            } else if let Some(mut inner) = parse_embedded(value) {
                let before = self.redacted.len();
                self.keys(&mut inner, &value_path);
                if self.redacted.len() != before {
                    *value = inner.to_string();
                }
            }
        }
    }

    /// Pass 3: every string under `value` scrubbed of the secrets found so
    /// far, key ids and sensitive `key=value` pairs. `skip` names top-level
    /// keys left alone (`format`, `redacted`).
    pub fn scrub_all(&mut self, value: &mut Value, path: &str, skip: &[&str]) {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    if path.is_empty() && skip.contains(&key.as_str()) {
                        continue;
                    }
                    self.scrub_all(child, &format!("{path}/{}", escape(key)), &[]);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    self.scrub_all(child, &format!("{path}/{i}"), &[]);
                }
            }
            Value::String(text) => {
                if is_placeholder_text(text) {
                    return;
                }
                if let Some(clean) = self.scrub(text) {
                    *text = clean;
                    self.redacted.push(path.to_owned());
                }
            }
            _ => {}
        }
    }

    /// `text` with secrets replaced, or `None` when it had none.
    pub fn scrub(&self, text: &str) -> Option<String> {
        let mut out = text.to_owned();
        let mut changed = false;
        for secret in &self.found {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), &self.policy.placeholder(secret));
                changed = true;
            }
        }
        changed |= self.scrub_key_ids(&mut out);
        changed |= self.scrub_pairs(&mut out);
        changed.then_some(out)
    }

    /// `AKIA`/`ASIA` followed by 16 upper-case letters or digits.
    fn scrub_key_ids(&self, text: &mut String) -> bool {
        let mut changed = false;
        let mut from = 0;
        loop {
            let bytes = text.as_bytes();
            let Some(at) = (from..bytes.len().saturating_sub(19)).find(|&i| {
                (bytes[i..].starts_with(b"AKIA") || bytes[i..].starts_with(b"ASIA"))
                    && bytes[i + 4..i + 20]
                        .iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                    && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
            }) else {
                return changed;
            };
            let id = text[at..at + 20].to_owned();
            let placeholder = self.policy.placeholder(&id);
            text.replace_range(at..at + 20, &placeholder);
            from = at + placeholder.len();
            changed = true;
        }
    }

    /// `password=...`, `"token": "..."`, `Authorization: Bearer ...`: the
    /// value after a sensitive key in free text.
    fn scrub_pairs(&self, text: &mut String) -> bool {
        let mut changed = false;
        let mut from = 0;
        while from < text.len() {
            let lower = text.to_ascii_lowercase();
            let Some((at, word)) = SENSITIVE_KEYS
                .iter()
                .filter_map(|w| lower[from..].find(w).map(|i| (from + i, *w)))
                .min_by_key(|(i, _)| *i)
            else {
                break;
            };
            let bytes = text.as_bytes();
            let mut i = at + word.len();
            // The rest of the key (`_id`, `-key`, a closing quote), then
            // `=` or `:`, then the value, possibly quoted.
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || b"_-\"'".contains(&bytes[i]))
            {
                i += 1;
            }
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            if i >= bytes.len() || !(bytes[i] == b'=' || bytes[i] == b':') {
                from = at + word.len();
                continue;
            }
            i += 1;
            while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'"' || bytes[i] == b'\'') {
                i += 1;
            }
            let is_end = |b: u8| b.is_ascii_whitespace() || b"\"',;&}]\\".contains(&b);
            let mut end = i;
            while end < bytes.len() && !is_end(bytes[end]) {
                end += 1;
            }
            // `Bearer <token>`, `Basic <token>`: the scheme and the token.
            let scheme = text[i..end].to_ascii_lowercase();
            if (scheme == "bearer" || scheme == "basic") && end < bytes.len() && bytes[end] == b' '
            {
                end += 1;
                while end < bytes.len() && !is_end(bytes[end]) {
                    end += 1;
                }
            }
            if end == i || is_placeholder_text(&text[i..]) {
                from = end.max(at + word.len());
                continue;
            }
            let secret = text[i..end].to_owned();
            let placeholder = self.policy.placeholder(&secret);
            text.replace_range(i..end, &placeholder);
            from = i + placeholder.len();
            changed = true;
        }
        changed
    }

    fn replace(&mut self, value: &mut Value, path: String) {
        collect_strings(value, &mut self.found);
        let text = match &*value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        *value = Value::String(self.policy.placeholder(&text));
        self.redacted.push(path);
    }
}

/// JSON held in a string: an object or array that parses.
fn parse_embedded(text: &str) -> Option<Value> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

fn collect_strings(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if s.len() >= MIN_SCRUB_LEN && !is_placeholder_text(s) {
                into.push(s.clone());
            }
            if let Some(inner) = parse_embedded(s) {
                collect_strings(&inner, into);
            }
        }
        Value::Number(n) => {
            let s = n.to_string();
            if s.len() >= MIN_SCRUB_LEN {
                into.push(s);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, into)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, into)),
        _ => {}
    }
}

fn is_placeholder(value: &Value) -> bool {
    value.as_str().is_some_and(is_placeholder_text)
}

fn is_placeholder_text(text: &str) -> bool {
    text.starts_with(HASH_PREFIX) || text.starts_with(REDACTED)
}

/// A key as a JSON pointer segment.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_at_any_depth_and_inside_json_strings_are_replaced() {
        let policy = Policy::new(vec!["/body/card".into()], None, vec![]);
        let mut event = json!({
            "headers": {"Authorization": "Bearer abc.def", "x": "1"},
            "body": "{\"card\":\"4111111111111111\",\"user\":{\"password\":\"hunter22\"}}",
            "deep": [{"api_key": {"n": 1}}]
        });
        let mut run = policy.run();
        run.pointers(&mut event, "/event/body");
        run.keys(&mut event, "/event/body");
        let text = event.to_string();
        for secret in ["abc.def", "4111111111111111", "hunter22", "\"n\":1"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(event["headers"]["x"], "1");
        let redacted = run.into_redacted();
        assert!(
            redacted.contains(&"/event/body/body/card".to_owned()),
            "{redacted:?}"
        );
        assert!(
            redacted.contains(&"/event/body/headers/Authorization".to_owned()),
            "{redacted:?}"
        );
    }

    #[test]
    fn a_keyed_hash_keeps_equal_values_equal() {
        let policy = Policy::new(vec![], Some(b"k3y-k3y".to_vec()), vec![]);
        let a = policy.placeholder("hunter22");
        assert!(a.starts_with("hmac-sha256:") && a.len() == 12 + 64, "{a}");
        assert_eq!(a, policy.placeholder("hunter22"));
        assert_ne!(a, policy.placeholder("hunter23"));
    }

    #[test]
    fn free_text_loses_key_ids_found_values_and_sensitive_pairs() {
        let policy = Policy::new(vec![], None, vec!["s3cr3t-from-env".into()]);
        let run = policy.run();
        let line = "key AKIAABCDEFGHIJKLMNOP env s3cr3t-from-env password=pw123456 \
                    \"token\": \"tok-99\" Authorization: Bearer zzz.yyy ok=1";
        let clean = run.scrub(line).expect("changed");
        for secret in [
            "AKIAABCDEFGHIJKLMNOP",
            "s3cr3t-from-env",
            "pw123456",
            "tok-99",
            "zzz.yyy",
        ] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(clean.contains("ok=1"), "{clean}");
        assert!(run.scrub("nothing here").is_none());
    }
}
