//! `ExportTraceServiceRequest` from the SDK's ended spans
//! (`opentelemetry/proto/trace/v1`, `collector/trace/v1`).

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::trace::SpanData;
use opentelemetry_sdk::Resource;

use super::common::{attributes, nanos, scope};
use super::proto::Encoder;

/// Field numbers of `opentelemetry/proto/trace/v1/trace.proto` and
/// `collector/trace/v1/trace_service.proto`: a module per message, a
/// constant per field, named as there.
mod field {
    /// `ExportTraceServiceRequest`.
    pub(super) mod export_trace_service_request {
        pub(crate) const RESOURCE_SPANS: u32 = 1;
    }
    /// `ResourceSpans`.
    pub(super) mod resource_spans {
        pub(crate) const RESOURCE: u32 = 1;
        pub(crate) const SCOPE_SPANS: u32 = 2;
        pub(crate) const SCHEMA_URL: u32 = 3;
    }
    /// `ScopeSpans`.
    pub(super) mod scope_spans {
        pub(crate) const SCOPE: u32 = 1;
        pub(crate) const SPANS: u32 = 2;
        pub(crate) const SCHEMA_URL: u32 = 3;
    }
    /// `Span`.
    pub(super) mod span {
        pub(crate) const TRACE_ID: u32 = 1;
        pub(crate) const SPAN_ID: u32 = 2;
        pub(crate) const TRACE_STATE: u32 = 3;
        pub(crate) const PARENT_SPAN_ID: u32 = 4;
        pub(crate) const NAME: u32 = 5;
        pub(crate) const KIND: u32 = 6;
        pub(crate) const START_TIME_UNIX_NANO: u32 = 7;
        pub(crate) const END_TIME_UNIX_NANO: u32 = 8;
        pub(crate) const ATTRIBUTES: u32 = 9;
        pub(crate) const DROPPED_ATTRIBUTES_COUNT: u32 = 10;
        pub(crate) const EVENTS: u32 = 11;
        pub(crate) const DROPPED_EVENTS_COUNT: u32 = 12;
        pub(crate) const LINKS: u32 = 13;
        pub(crate) const DROPPED_LINKS_COUNT: u32 = 14;
        pub(crate) const STATUS: u32 = 15;
        pub(crate) const FLAGS: u32 = 16;
    }
    /// `Span.Event`.
    pub(super) mod event {
        pub(crate) const TIME_UNIX_NANO: u32 = 1;
        pub(crate) const NAME: u32 = 2;
        pub(crate) const ATTRIBUTES: u32 = 3;
        pub(crate) const DROPPED_ATTRIBUTES_COUNT: u32 = 4;
    }
    /// `Span.Link`.
    pub(super) mod link {
        pub(crate) const TRACE_ID: u32 = 1;
        pub(crate) const SPAN_ID: u32 = 2;
        pub(crate) const TRACE_STATE: u32 = 3;
        pub(crate) const ATTRIBUTES: u32 = 4;
        pub(crate) const DROPPED_ATTRIBUTES_COUNT: u32 = 5;
        pub(crate) const FLAGS: u32 = 6;
    }
    /// `Status`.
    pub(super) mod status {
        pub(crate) const MESSAGE: u32 = 2;
        pub(crate) const CODE: u32 = 3;
    }
}

/// `Status.StatusCode` values (`UNSET` is 0, omitted).
const STATUS_CODE_OK: u64 = 1;
const STATUS_CODE_ERROR: u64 = 2;

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
    use field::resource_spans::{RESOURCE, SCHEMA_URL, SCOPE_SPANS};
    let request = field::export_trace_service_request::RESOURCE_SPANS;
    encoder.message(request, |resource_spans| {
        resource_spans.encoded_message(RESOURCE, encoded_resource);
        // A flush holds a handful of spans from one or two scopes: a scan
        // per scope beats hashing scopes.
        let mut scopes: Vec<&InstrumentationScope> = Vec::new();
        for span in spans {
            if !scopes.contains(&&span.instrumentation_scope) {
                scopes.push(&span.instrumentation_scope);
            }
        }
        for current in scopes {
            resource_spans.message(SCOPE_SPANS, |scope_spans| {
                use field::scope_spans::{SCHEMA_URL, SCOPE, SPANS};
                scope_spans.message(SCOPE, |e| scope(e, current));
                for span in spans.iter().filter(|s| s.instrumentation_scope == *current) {
                    scope_spans.message(SPANS, |e| encode_span(e, span));
                }
                scope_spans.string(SCHEMA_URL, current.schema_url().unwrap_or_default());
            });
        }
        resource_spans.string(SCHEMA_URL, resource.schema_url().unwrap_or_default());
    });
}

/// `Span`.
fn encode_span(encoder: &mut Encoder, span: &SpanData) {
    use field::span::*;
    let context = &span.span_context;
    encoder.bytes(TRACE_ID, &context.trace_id().to_bytes());
    encoder.bytes(SPAN_ID, &context.span_id().to_bytes());
    encoder.string(TRACE_STATE, &context.trace_state().header());
    if span.parent_span_id != SpanId::INVALID {
        encoder.bytes(PARENT_SPAN_ID, &span.parent_span_id.to_bytes());
    }
    encoder.string(NAME, &span.name);
    encoder.uint64(KIND, kind(&span.span_kind));
    encoder.fixed64(START_TIME_UNIX_NANO, nanos(span.start_time));
    encoder.fixed64(END_TIME_UNIX_NANO, nanos(span.end_time));
    attributes(encoder, ATTRIBUTES, &span.attributes);
    let dropped_attributes = u64::from(span.dropped_attributes_count);
    encoder.uint64(DROPPED_ATTRIBUTES_COUNT, dropped_attributes);
    for event in &span.events.events {
        encoder.message(EVENTS, |e| {
            e.fixed64(field::event::TIME_UNIX_NANO, nanos(event.timestamp));
            e.string(field::event::NAME, &event.name);
            attributes(e, field::event::ATTRIBUTES, &event.attributes);
            let dropped = u64::from(event.dropped_attributes_count);
            e.uint64(field::event::DROPPED_ATTRIBUTES_COUNT, dropped);
        });
    }
    encoder.uint64(DROPPED_EVENTS_COUNT, u64::from(span.events.dropped_count));
    for link in &span.links.links {
        encoder.message(LINKS, |e| {
            let linked = &link.span_context;
            e.bytes(field::link::TRACE_ID, &linked.trace_id().to_bytes());
            e.bytes(field::link::SPAN_ID, &linked.span_id().to_bytes());
            e.string(field::link::TRACE_STATE, &linked.trace_state().header());
            attributes(e, field::link::ATTRIBUTES, &link.attributes);
            let dropped = u64::from(link.dropped_attributes_count);
            e.uint64(field::link::DROPPED_ATTRIBUTES_COUNT, dropped);
            e.fixed32(field::link::FLAGS, flags(linked, linked.is_remote()));
        });
    }
    encoder.uint64(DROPPED_LINKS_COUNT, u64::from(span.links.dropped_count));
    encoder.message(STATUS, |e| {
        use field::status::{CODE, MESSAGE};
        match &span.status {
            Status::Error { description } => {
                e.string(MESSAGE, description);
                e.uint64(CODE, STATUS_CODE_ERROR);
            }
            Status::Ok => e.uint64(CODE, STATUS_CODE_OK),
            Status::Unset => {}
        }
    });
    encoder.fixed32(FLAGS, flags(context, span.parent_span_is_remote));
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
