//! OTLP/JSON (`http/json`): the encoder's protobuf request decoded into
//! `opentelemetry-proto`'s generated types and written with their serde,
//! which follows OTLP/JSON's rules (hex trace and span ids, enums as
//! integers, 64-bit integers as strings, camelCase names).
//!
//! It costs a decode and an allocation per item on top of the protobuf
//! path; JSON is for collectors that accept nothing else, not the fast path.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use super::response::PartialSuccess;
use crate::otel::otlp_settings::Signal;

/// The JSON form of `protobuf`, an encoded request for `signal`.
pub(crate) fn to_json(signal: Signal, protobuf: &[u8]) -> Result<Vec<u8>, String> {
    let written = match signal {
        Signal::Traces => ExportTraceServiceRequest::decode(protobuf)
            .map_err(|e| e.to_string())
            .and_then(|r| serde_json::to_vec(&r).map_err(|e| e.to_string())),
        Signal::Metrics => ExportMetricsServiceRequest::decode(protobuf)
            .map_err(|e| e.to_string())
            .and_then(|r| serde_json::to_vec(&r).map_err(|e| e.to_string())),
    };
    written.map_err(|error| format!("the OTLP/JSON body could not be written: {error}"))
}

/// The `partialSuccess` of a JSON answer that rejected anything, as
/// [`partial_success`](super::response::partial_success) for protobuf.
/// Either integer form (number or string) is read.
pub(crate) fn partial_success(body: &[u8]) -> Option<PartialSuccess> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    let partial = answer.get("partialSuccess")?;
    let count = partial
        .get("rejectedSpans")
        .or_else(|| partial.get("rejectedDataPoints"))?;
    let rejected = match count {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .filter(|&n| n > 0)?;
    let message = partial
        .get("errorMessage")
        .and_then(|m| m.as_str())
        .unwrap_or_default()
        .to_owned();
    Some(PartialSuccess { rejected, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_success_reads_either_integer_form() {
        let spans = br#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too big"}}"#;
        assert_eq!(
            partial_success(spans),
            Some(PartialSuccess {
                rejected: 3,
                message: "too big".into()
            })
        );
        let points = br#"{"partialSuccess":{"rejectedDataPoints":2}}"#;
        assert_eq!(partial_success(points).map(|p| p.rejected), Some(2));
        assert_eq!(partial_success(b"{}"), None);
        assert_eq!(partial_success(br#"{"partialSuccess":{}}"#), None);
        assert_eq!(partial_success(b"not json"), None);
    }

    #[test]
    fn a_body_that_is_not_a_request_is_an_error() {
        let error = to_json(Signal::Traces, &[0x0a, 0x05, 0x08]).unwrap_err();
        assert!(error.contains("OTLP/JSON body"), "{error}");
    }
}
