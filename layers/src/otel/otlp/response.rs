//! What a collector's `200` says: the `partial_success` of an
//! `Export{Metrics,Trace}ServiceResponse`, the only field OTLP defines.
//!
//! Decoded by hand because it is two scalar fields inside one message:
//! pulling a protobuf runtime and every OTLP message type into each function
//! binary to read them would cost more than the rest of the export.

/// Items the collector accepted the request with but refused, and why.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PartialSuccess {
    /// `rejected_data_points` or `rejected_spans`.
    pub(crate) rejected: u64,
    /// `error_message`, possibly empty.
    pub(crate) message: String,
}

/// The `partial_success` of a response `body` that rejected anything;
/// `None` for an empty body, nothing rejected, or bytes that are not a
/// response (a collector's odd answer is not a reason to fail the export).
pub(crate) fn partial_success(body: &[u8]) -> Option<PartialSuccess> {
    let mut response = Reader(body);
    let mut found = None;
    while let Some((field, value)) = response.field()? {
        if let (1, Value::Bytes(partial)) = (field, value) {
            let mut partial = Reader(partial);
            let mut rejected = 0;
            let mut message = String::new();
            while let Some((field, value)) = partial.field()? {
                match (field, value) {
                    (1, Value::Varint(count)) => rejected = count,
                    (2, Value::Bytes(text)) => message = String::from_utf8_lossy(text).into(),
                    _ => {}
                }
            }
            found = Some(PartialSuccess { rejected, message });
        }
    }
    found.filter(|partial| partial.rejected > 0)
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// Fields of one protobuf message, in order.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// The next field: `Some(None)` at the end, `None` if malformed.
    #[allow(clippy::option_option)]
    fn field(&mut self) -> Option<Option<(u64, Value<'a>)>> {
        if self.0.is_empty() {
            return Some(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => self.skip(8)?,
            2 => {
                let len = usize::try_from(self.varint()?).ok()?;
                let (bytes, rest) = self.0.split_at_checked(len)?;
                self.0 = rest;
                Value::Bytes(bytes)
            }
            5 => self.skip(4)?,
            _ => return None,
        };
        Some(Some((key >> 3, value)))
    }

    fn skip(&mut self, len: usize) -> Option<Value<'a>> {
        self.0 = self.0.get(len..)?;
        Some(Value::Fixed)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for (at, &byte) in self.0.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * at);
            if byte & 0x80 == 0 {
                self.0 = &self.0[at + 1..];
                return Some(value);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::metrics::v1::{
        ExportMetricsPartialSuccess, ExportMetricsServiceResponse,
    };
    use opentelemetry_proto::tonic::collector::trace::v1::{
        ExportTracePartialSuccess, ExportTraceServiceResponse,
    };
    use prost::Message as _;

    use super::*;

    #[test]
    fn rejected_items_are_read_from_either_response() {
        let metrics = ExportMetricsServiceResponse {
            partial_success: Some(ExportMetricsPartialSuccess {
                rejected_data_points: 3,
                error_message: "unit \"{invocation}\" not allowed".into(),
            }),
        }
        .encode_to_vec();
        assert_eq!(
            partial_success(&metrics),
            Some(PartialSuccess {
                rejected: 3,
                message: "unit \"{invocation}\" not allowed".into()
            })
        );
        let spans = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: 300,
                error_message: String::new(),
            }),
        }
        .encode_to_vec();
        assert_eq!(partial_success(&spans).map(|p| p.rejected), Some(300));
    }

    #[test]
    fn nothing_rejected_empty_or_garbage_is_none() {
        let none_rejected = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: 0,
                error_message: "fine".into(),
            }),
        }
        .encode_to_vec();
        assert_eq!(partial_success(&none_rejected), None);
        assert_eq!(partial_success(b""), None);
        assert_eq!(partial_success(b"{\"partialSuccess\":{}}"), None);
        assert_eq!(partial_success(&[0x0a, 0x05, 0x08]), None, "truncated");
    }
}
