//! What a collector's `200` says: the `partial_success` of an
//! `Export{Metrics,Trace}ServiceResponse`, the only field OTLP defines.
//!
//! Both responses have the same shape, so one pair of prost messages reads
//! either; the generated OTLP types would bring every OTLP message into
//! each function binary to read two fields.

use prost::Message;

/// `ExportMetricsServiceResponse` or `ExportTraceServiceResponse`.
#[derive(Clone, PartialEq, Message)]
struct ExportServiceResponse {
    #[prost(message, optional, tag = "1")]
    partial_success: Option<ExportPartialSuccess>,
}

/// `ExportMetricsPartialSuccess` or `ExportTracePartialSuccess`.
#[derive(Clone, PartialEq, Message)]
struct ExportPartialSuccess {
    /// `rejected_data_points` or `rejected_spans`.
    #[prost(int64, tag = "1")]
    rejected: i64,
    /// `error_message`, read as bytes so that a collector's invalid UTF-8
    /// is shown (lossily) rather than failing the whole answer.
    #[prost(bytes = "vec", tag = "2")]
    error_message: Vec<u8>,
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
    let partial = ExportServiceResponse::decode(body).ok()?.partial_success?;
    let rejected = u64::try_from(partial.rejected).ok().filter(|&n| n > 0)?;
    Some(PartialSuccess {
        rejected,
        message: String::from_utf8_lossy(&partial.error_message).into_owned(),
    })
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
