//! What a collector's `200` says: the `partial_success` of an
//! `Export{Metrics,Trace}ServiceResponse`, the only field OTLP defines.
//!
//! Read with prost's decoding helpers, field by field: it is two scalar
//! fields inside one message, and the generated OTLP message types would
//! bring every OTLP message (and prost's derive) into each function binary.

use prost::encoding::{decode_key, decode_varint, skip_field, DecodeContext, WireType};

/// Field numbers of `Export{Metrics,Trace}ServiceResponse` and their
/// `Export{Metrics,Trace}PartialSuccess` (the same in both signals).
mod field {
    /// `Export*ServiceResponse`.
    pub(super) mod export_service_response {
        pub(crate) const PARTIAL_SUCCESS: u32 = 1;
    }
    /// `Export*PartialSuccess`.
    pub(super) mod partial_success {
        /// `rejected_data_points` or `rejected_spans`.
        pub(crate) const REJECTED: u32 = 1;
        pub(crate) const ERROR_MESSAGE: u32 = 2;
    }
}

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
    let mut partial = None;
    for_each_field(body, |field, value| {
        if let (field::export_service_response::PARTIAL_SUCCESS, Value::Bytes(bytes)) =
            (field, value)
        {
            partial = Some(bytes);
        }
    })?;
    let mut rejected = 0;
    let mut message = String::new();
    for_each_field(partial?, |field, value| match (field, value) {
        (field::partial_success::REJECTED, Value::Varint(count)) => rejected = count,
        (field::partial_success::ERROR_MESSAGE, Value::Bytes(text)) => {
            message = String::from_utf8_lossy(text).into_owned()
        }
        _ => {}
    })?;
    (rejected > 0).then_some(PartialSuccess { rejected, message })
}

/// A field's value, as far as a response needs it.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// A fixed-width field, skipped.
    Fixed,
}

/// Calls `each` with every field of the message in `bytes`, in order;
/// `None` if the bytes are not a protobuf message.
fn for_each_field<'a>(mut bytes: &'a [u8], mut each: impl FnMut(u32, Value<'a>)) -> Option<()> {
    while !bytes.is_empty() {
        let (field, wire_type) = decode_key(&mut bytes).ok()?;
        let value = match wire_type {
            WireType::Varint => Value::Varint(decode_varint(&mut bytes).ok()?),
            WireType::LengthDelimited => {
                let len = usize::try_from(decode_varint(&mut bytes).ok()?).ok()?;
                let (value, rest) = bytes.split_at_checked(len)?;
                bytes = rest;
                Value::Bytes(value)
            }
            WireType::SixtyFourBit | WireType::ThirtyTwoBit => {
                skip_field(wire_type, field, &mut bytes, DecodeContext::default()).ok()?;
                Value::Fixed
            }
            // Groups are deprecated and no OTLP response has one.
            WireType::StartGroup | WireType::EndGroup => return None,
        };
        each(field, value);
    }
    Some(())
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
