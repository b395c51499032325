//! The W3C trace context, normalised from each platform's own trace header.

use std::fmt;

/// A W3C trace context: the trace and the parent span this invocation belongs to.
///
/// Adapters build it from the platform's header: X-Ray's
/// `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`
/// on AWS, `traceparent` elsewhere.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    /// 16-byte trace id.
    pub trace_id: [u8; 16],
    /// 8-byte id of the caller's span, the parent of this invocation's span.
    pub parent_id: [u8; 8],
    /// Whether the caller sampled this trace.
    pub sampled: bool,
}

impl TraceContext {
    /// Parses an AWS X-Ray trace header (`Root=1-{8 hex}-{24 hex};Parent={16 hex};Sampled={0|1}`).
    ///
    /// Returns `None` when the root or parent is missing or malformed; fields
    /// may come in any order and unknown fields (`Lineage=...`) are ignored.
    pub fn from_xray(header: &str) -> Option<TraceContext> {
        let mut root = None;
        let mut parent = None;
        let mut sampled = false;
        for field in header.split(';') {
            let (key, value) = field.trim().split_once('=')?;
            match key {
                "Root" => root = Some(value),
                "Parent" => parent = Some(value),
                "Sampled" => sampled = value == "1",
                _ => {}
            }
        }
        let root = root?;
        let mut parts = root.split('-');
        if parts.next()? != "1" {
            return None;
        }
        let (epoch, unique) = (parts.next()?, parts.next()?);
        if epoch.len() != 8 || unique.len() != 24 || parts.next().is_some() {
            return None;
        }
        let mut trace_id = [0u8; 16];
        decode_hex(epoch, &mut trace_id[..4])?;
        decode_hex(unique, &mut trace_id[4..])?;
        let mut parent_id = [0u8; 8];
        decode_hex(parent?, &mut parent_id)?;
        Some(TraceContext {
            trace_id,
            parent_id,
            sampled,
        })
    }

    /// Parses a W3C `traceparent` header (`00-{32 hex}-{16 hex}-{2 hex}`).
    pub fn from_traceparent(header: &str) -> Option<TraceContext> {
        let mut parts = header.trim().split('-');
        let version = parts.next()?;
        if version.len() != 2 || version == "ff" {
            return None;
        }
        let mut trace_id = [0u8; 16];
        decode_hex(parts.next()?, &mut trace_id)?;
        let mut parent_id = [0u8; 8];
        decode_hex(parts.next()?, &mut parent_id)?;
        let mut flags = [0u8; 1];
        decode_hex(parts.next()?, &mut flags)?;
        if trace_id == [0; 16] || parent_id == [0; 8] {
            return None;
        }
        Some(TraceContext {
            trace_id,
            parent_id,
            sampled: flags[0] & 1 == 1,
        })
    }

    /// The context as a W3C `traceparent` header value.
    pub fn to_traceparent(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            Hex(&self.trace_id),
            Hex(&self.parent_id),
            u8::from(self.sampled)
        )
    }

    /// The trace id as 32 lowercase hex digits.
    pub fn trace_id_hex(&self) -> String {
        Hex(&self.trace_id).to_string()
    }
}

impl fmt::Debug for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_traceparent())
    }
}

fn decode_hex(text: &str, out: &mut [u8]) -> Option<()> {
    let bytes = text.as_bytes();
    if bytes.len() != out.len() * 2 {
        return None;
    }
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let high = (pair[0] as char).to_digit(16)?;
        let low = (pair[1] as char).to_digit(16)?;
        *slot = (high * 16 + low) as u8;
    }
    Some(())
}

struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xray_header_becomes_traceparent() {
        let ctx = TraceContext::from_xray(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .unwrap();
        assert_eq!(
            ctx.to_traceparent(),
            "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"
        );
    }

    #[test]
    fn xray_without_parent_is_rejected() {
        assert!(TraceContext::from_xray("Root=1-5759e988-bd862e3fe1be46a994272793").is_none());
        assert!(TraceContext::from_xray(
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"
        )
        .is_none());
    }

    #[test]
    fn traceparent_round_trips() {
        let text = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
        let ctx = TraceContext::from_traceparent(text).unwrap();
        assert!(!ctx.sampled);
        assert_eq!(ctx.to_traceparent(), text);
        assert!(TraceContext::from_traceparent("00-zz").is_none());
    }
}
