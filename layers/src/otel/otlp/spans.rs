//! `ExportTraceServiceRequest` from the SDK's ended spans
//! (`opentelemetry/proto/trace/v1`, `collector/trace/v1`).

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::trace::SpanData;
use opentelemetry_sdk::Resource;

use super::common::{attributes, nanos, scope};
use super::proto::Encoder;

/// `SpanFlags`: the context says whether the parent is remote, and it is.
const CONTEXT_HAS_IS_REMOTE: u32 = 0x100;
const CONTEXT_IS_REMOTE: u32 = 0x200;

/// Encodes `spans` as one `ExportTraceServiceRequest`, grouped by
/// instrumentation scope in the order scopes first appear, with the
/// resource already encoded by [`encode_resource`](super::encode_resource).
pub(crate) fn encode_spans(
    encoder: &mut Encoder,
    spans: &[SpanData],
    resource: &Resource,
    encoded_resource: &[u8],
) {
    encoder.message(1, |resource_spans| {
        resource_spans.encoded_message(1, encoded_resource);
        // A flush holds a handful of spans from one or two scopes: a scan
        // per scope beats hashing scopes.
        let mut scopes: Vec<&InstrumentationScope> = Vec::new();
        for span in spans {
            if !scopes.contains(&&span.instrumentation_scope) {
                scopes.push(&span.instrumentation_scope);
            }
        }
        for current in scopes {
            // `ScopeSpans { scope = 1, spans = 2, schema_url = 3 }`
            resource_spans.message(2, |scope_spans| {
                scope_spans.message(1, |e| scope(e, current));
                for span in spans.iter().filter(|s| s.instrumentation_scope == *current) {
                    scope_spans.message(2, |e| encode_span(e, span));
                }
                scope_spans.string(3, current.schema_url().unwrap_or_default());
            });
        }
        resource_spans.string(3, resource.schema_url().unwrap_or_default());
    });
}

/// `Span { trace_id = 1, span_id = 2, trace_state = 3, parent_span_id = 4,
/// name = 5, kind = 6, start = 7, end = 8, attributes = 9,
/// dropped_attributes_count = 10, events = 11, dropped_events_count = 12,
/// links = 13, dropped_links_count = 14, status = 15, flags = 16 }`.
fn encode_span(encoder: &mut Encoder, span: &SpanData) {
    let context = &span.span_context;
    encoder.bytes(1, &context.trace_id().to_bytes());
    encoder.bytes(2, &context.span_id().to_bytes());
    encoder.string(3, &context.trace_state().header());
    if span.parent_span_id != SpanId::INVALID {
        encoder.bytes(4, &span.parent_span_id.to_bytes());
    }
    encoder.string(5, &span.name);
    encoder.uint64(6, kind(&span.span_kind));
    encoder.fixed64(7, nanos(span.start_time));
    encoder.fixed64(8, nanos(span.end_time));
    attributes(encoder, 9, &span.attributes);
    encoder.uint64(10, u64::from(span.dropped_attributes_count));
    for event in &span.events.events {
        // `Event { time = 1, name = 2, attributes = 3, dropped = 4 }`
        encoder.message(11, |e| {
            e.fixed64(1, nanos(event.timestamp));
            e.string(2, &event.name);
            attributes(e, 3, &event.attributes);
            e.uint64(4, u64::from(event.dropped_attributes_count));
        });
    }
    encoder.uint64(12, u64::from(span.events.dropped_count));
    for link in &span.links.links {
        // `Link { trace_id = 1, span_id = 2, trace_state = 3,
        // attributes = 4, dropped = 5, flags = 6 }`
        encoder.message(13, |e| {
            let linked = &link.span_context;
            e.bytes(1, &linked.trace_id().to_bytes());
            e.bytes(2, &linked.span_id().to_bytes());
            e.string(3, &linked.trace_state().header());
            attributes(e, 4, &link.attributes);
            e.uint64(5, u64::from(link.dropped_attributes_count));
            e.fixed32(6, flags(linked, linked.is_remote()));
        });
    }
    encoder.uint64(14, u64::from(span.links.dropped_count));
    // `Status { message = 2, code = 3 }`: UNSET 0, OK 1, ERROR 2.
    encoder.message(15, |e| match &span.status {
        Status::Error { description } => {
            e.string(2, description);
            e.uint64(3, 2);
        }
        Status::Ok => e.uint64(3, 1),
        Status::Unset => {}
    });
    encoder.fixed32(16, flags(context, span.parent_span_is_remote));
}

/// The trace flags in the low byte, plus whether the parent is remote.
fn flags(context: &SpanContext, remote: bool) -> u32 {
    let mut flags = u32::from(context.trace_flags().to_u8()) | CONTEXT_HAS_IS_REMOTE;
    if remote {
        flags |= CONTEXT_IS_REMOTE;
    }
    flags
}

/// `SpanKind`: INTERNAL 1, SERVER 2, CLIENT 3, PRODUCER 4, CONSUMER 5.
fn kind(kind: &SpanKind) -> u64 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::time::{Duration, SystemTime};

    use opentelemetry::trace::{Link, SpanId, TraceFlags, TraceId, TraceState};
    use opentelemetry::{Array, KeyValue, Value};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
    use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use prost::Message as _;

    use super::*;
    use crate::otel::otlp::encode_resource;

    fn span(
        name: &'static str,
        scope: &InstrumentationScope,
        parent: u64,
        status: Status,
    ) -> SpanData {
        let start = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        let context = SpanContext::new(
            TraceId::from(0x0af7651916cd43dd8448eb211c80319c_u128),
            SpanId::from(0xb7ad6b7169203331_u64 + parent),
            TraceFlags::SAMPLED,
            false,
            TraceState::from_key_value([("vendor", "value")]).unwrap(),
        );
        let mut events = SpanEvents::default();
        events.events.push(opentelemetry::trace::Event::new(
            "retry",
            start + Duration::from_millis(1),
            vec![KeyValue::new("attempt", 2_i64)],
            1,
        ));
        let mut links = SpanLinks::default();
        links.links.push(Link::new(
            context.clone(),
            vec![KeyValue::new("why", "fan-in")],
            0,
        ));
        links.dropped_count = 3;
        SpanData {
            span_context: context,
            parent_span_id: SpanId::from(parent),
            parent_span_is_remote: parent != 0,
            span_kind: if parent == 0 {
                SpanKind::Server
            } else {
                SpanKind::Internal
            },
            name: Cow::Borrowed(name),
            start_time: start,
            end_time: start + Duration::from_millis(3),
            attributes: vec![
                KeyValue::new("faas.invocation_id", "8476a536-e9f4-11e8-9739-2dfe598c3fcd"),
                KeyValue::new("faas.coldstart", true),
                KeyValue::new("http.status_code", -1_i64),
                KeyValue::new("ratio", 0.25),
                KeyValue::new("ids", Value::Array(Array::I64(vec![1, -2]))),
                KeyValue::new("flags", Value::Array(Array::Bool(vec![true, false]))),
                KeyValue::new("weights", Value::Array(Array::F64(vec![0.5]))),
            ],
            dropped_attributes_count: 2,
            events,
            links,
            status,
            instrumentation_scope: scope.clone(),
        }
    }

    #[test]
    fn spans_decode_to_the_reference_conversion() {
        let runtime = InstrumentationScope::builder("light-runtime").build();
        let user = InstrumentationScope::builder("light-runtime.tracing")
            .with_version("0.1.0")
            .with_schema_url("https://opentelemetry.io/schemas/1.26.0")
            .with_attributes([KeyValue::new("bridge", "tracing")])
            .build();
        let spans = vec![
            span("invoke", &runtime, 0, Status::error("Function.Panic")),
            span("query", &user, 0x42, Status::Ok),
            span("next", &runtime, 0x43, Status::Unset),
        ];
        let resource = Resource::builder_empty()
            .with_service_name("orders")
            .with_schema_url(
                [KeyValue::new("cloud.region", "eu-west-1")],
                "https://example.com/schema",
            )
            .build();

        let mut encoder = Encoder::default();
        encode_spans(&mut encoder, &spans, &resource, &encode_resource(&resource));
        let decoded = ExportTraceServiceRequest::decode(encoder.as_slice()).unwrap();
        let reference = ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(
                spans,
                &ResourceAttributesWithSchema::from(&resource),
            ),
        };
        assert_eq!(decoded, reference);
        let scopes = &decoded.resource_spans[0].scope_spans;
        assert_eq!(scopes.len(), 2);
        assert_eq!(scopes[0].spans.len(), 2, "spans of one scope are grouped");
    }
}
