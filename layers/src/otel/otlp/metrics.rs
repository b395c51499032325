//! `ExportMetricsServiceRequest` from the SDK's collected metrics
//! (`opentelemetry/proto/metrics/v1`, `collector/metrics/v1`).

use opentelemetry_sdk::metrics::data::{
    AggregatedMetrics, Exemplar, ExponentialHistogram, Gauge, Histogram, Metric, MetricData,
    ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_sdk::metrics::Temporality;

use super::common::{attributes, nanos, scope};
use super::proto::Encoder;

/// Encodes `metrics` as one `ExportMetricsServiceRequest`, with the
/// resource already encoded by [`encode_resource`](super::encode_resource).
pub(crate) fn encode_metrics(encoder: &mut Encoder, metrics: &ResourceMetrics, resource: &[u8]) {
    encoder.message(1, |resource_metrics| {
        resource_metrics.encoded_message(1, resource);
        for scope_metrics in metrics.scope_metrics() {
            resource_metrics.message(2, |e| encode_scope_metrics(e, scope_metrics));
        }
        resource_metrics.string(3, metrics.resource().schema_url().unwrap_or_default());
    });
}

/// `ScopeMetrics { scope = 1, metrics = 2, schema_url = 3 }`.
fn encode_scope_metrics(encoder: &mut Encoder, scope_metrics: &ScopeMetrics) {
    encoder.message(1, |e| scope(e, scope_metrics.scope()));
    for metric in scope_metrics.metrics() {
        encoder.message(2, |e| encode_metric(e, metric));
    }
    encoder.string(3, scope_metrics.scope().schema_url().unwrap_or_default());
}

/// `Metric { name = 1, description = 2, unit = 3, gauge = 5 | sum = 7 |
/// histogram = 9 | exponential_histogram = 10 }`.
fn encode_metric(encoder: &mut Encoder, metric: &Metric) {
    encoder.string(1, metric.name());
    encoder.string(2, metric.description());
    encoder.string(3, metric.unit());
    match metric.data() {
        AggregatedMetrics::F64(data) => encode_data(encoder, data),
        AggregatedMetrics::U64(data) => encode_data(encoder, data),
        AggregatedMetrics::I64(data) => encode_data(encoder, data),
    }
}

fn encode_data<T: Number>(encoder: &mut Encoder, data: &MetricData<T>) {
    match data {
        MetricData::Gauge(gauge) => encoder.message(5, |e| encode_gauge(e, gauge)),
        MetricData::Sum(sum) => encoder.message(7, |e| encode_sum(e, sum)),
        MetricData::Histogram(histogram) => encoder.message(9, |e| encode_histogram(e, histogram)),
        MetricData::ExponentialHistogram(histogram) => {
            encoder.message(10, |e| encode_exponential(e, histogram))
        }
    }
}

/// `Gauge { data_points = 1 }` of `NumberDataPoint { start = 2, time = 3,
/// value = 4 | 6, exemplars = 5, attributes = 7 }`.
fn encode_gauge<T: Number>(encoder: &mut Encoder, gauge: &Gauge<T>) {
    let start = gauge.start_time().map_or(0, nanos);
    let time = nanos(gauge.time());
    for point in gauge.data_points() {
        encoder.message(1, |e| {
            number_point(
                e,
                start,
                time,
                point.value(),
                point.exemplars(),
                point.attributes(),
            )
        });
    }
}

/// The fields of one `NumberDataPoint`, shared by gauges and sums.
fn number_point<'a, T: Number + 'a>(
    encoder: &mut Encoder,
    start: u64,
    time: u64,
    value: T,
    point_exemplars: impl Iterator<Item = &'a Exemplar<T>>,
    point_attributes: impl Iterator<Item = &'a opentelemetry::KeyValue>,
) {
    encoder.fixed64(2, start);
    encoder.fixed64(3, time);
    value.encode(encoder, 4, 6);
    exemplars(encoder, 5, point_exemplars);
    attributes(encoder, 7, point_attributes);
}

/// `Sum { data_points = 1, aggregation_temporality = 2, is_monotonic = 3 }`.
fn encode_sum<T: Number>(encoder: &mut Encoder, sum: &Sum<T>) {
    let start = nanos(sum.start_time());
    let time = nanos(sum.time());
    for point in sum.data_points() {
        encoder.message(1, |e| {
            number_point(
                e,
                start,
                time,
                point.value(),
                point.exemplars(),
                point.attributes(),
            )
        });
    }
    encoder.uint64(2, temporality(sum.temporality()));
    encoder.bool(3, sum.is_monotonic());
}

/// `Histogram { data_points = 1, aggregation_temporality = 2 }` of
/// `HistogramDataPoint { start = 2, time = 3, count = 4, sum = 5,
/// bucket_counts = 6, explicit_bounds = 7, exemplars = 8, attributes = 9,
/// min = 11, max = 12 }`.
fn encode_histogram<T: Number>(encoder: &mut Encoder, histogram: &Histogram<T>) {
    let start = nanos(histogram.start_time());
    let time = nanos(histogram.time());
    for point in histogram.data_points() {
        encoder.message(1, |e| {
            e.fixed64(2, start);
            e.fixed64(3, time);
            e.fixed64(4, point.count());
            e.double_always(5, point.sum().as_f64());
            e.packed_fixed64(6, point.bucket_counts());
            e.packed_double(7, point.bounds());
            exemplars(e, 8, point.exemplars());
            attributes(e, 9, point.attributes());
            if let Some(min) = point.min() {
                e.double_always(11, min.as_f64());
            }
            if let Some(max) = point.max() {
                e.double_always(12, max.as_f64());
            }
        });
    }
    encoder.uint64(2, temporality(histogram.temporality()));
}

/// `ExponentialHistogram { data_points = 1, aggregation_temporality = 2 }`
/// of `ExponentialHistogramDataPoint { attributes = 1, start = 2, time = 3,
/// count = 4, sum = 5, scale = 6, zero_count = 7, positive = 8,
/// negative = 9, exemplars = 11, min = 12, max = 13, zero_threshold = 14 }`.
fn encode_exponential<T: Number>(encoder: &mut Encoder, histogram: &ExponentialHistogram<T>) {
    let start = nanos(histogram.start_time());
    let time = nanos(histogram.time());
    for point in histogram.data_points() {
        encoder.message(1, |e| {
            attributes(e, 1, point.attributes());
            e.fixed64(2, start);
            e.fixed64(3, time);
            e.fixed64(4, point.count() as u64);
            e.double_always(5, point.sum().as_f64());
            e.sint32(6, i32::from(point.scale()));
            e.fixed64(7, point.zero_count());
            for (field, bucket) in [(8, point.positive_bucket()), (9, point.negative_bucket())] {
                // `Buckets { offset = 1 (sint32), bucket_counts = 2 }`
                e.message(field, |b| {
                    b.sint32(1, bucket.offset());
                    b.packed_uint64(2, bucket.counts());
                });
            }
            exemplars(e, 11, point.exemplars());
            if let Some(min) = point.min() {
                e.double_always(12, min.as_f64());
            }
            if let Some(max) = point.max() {
                e.double_always(13, max.as_f64());
            }
            e.double(14, point.zero_threshold());
        });
    }
    encoder.uint64(2, temporality(histogram.temporality()));
}

/// `Exemplar { time = 2, value = 3 | 6, span_id = 4, trace_id = 5,
/// filtered_attributes = 7 }` at `field`.
fn exemplars<'a, T: Number + 'a>(
    encoder: &mut Encoder,
    field: u32,
    exemplars: impl Iterator<Item = &'a Exemplar<T>>,
) {
    for exemplar in exemplars {
        encoder.message(field, |e| {
            e.fixed64(2, nanos(exemplar.time()));
            exemplar.value.encode(e, 3, 6);
            e.bytes(4, exemplar.span_id());
            e.bytes(5, exemplar.trace_id());
            attributes(e, 7, exemplar.filtered_attributes());
        });
    }
}

/// `AggregationTemporality`: DELTA = 1, CUMULATIVE = 2.
fn temporality(temporality: Temporality) -> u64 {
    match temporality {
        Temporality::Delta => 1,
        _ => 2,
    }
}

/// The SDK's number types, and how each is written in a `oneof` of
/// `as_double` and `as_int` (`sfixed64`).
trait Number: Copy {
    fn as_f64(self) -> f64;
    fn encode(self, encoder: &mut Encoder, double_field: u32, int_field: u32);
}

impl Number for f64 {
    fn as_f64(self) -> f64 {
        self
    }
    fn encode(self, encoder: &mut Encoder, double_field: u32, _: u32) {
        encoder.double_always(double_field, self);
    }
}

impl Number for i64 {
    fn as_f64(self) -> f64 {
        self as f64
    }
    fn encode(self, encoder: &mut Encoder, _: u32, int_field: u32) {
        encoder.fixed64_always(int_field, self as u64);
    }
}

impl Number for u64 {
    fn as_f64(self) -> f64 {
        self as f64
    }
    fn encode(self, encoder: &mut Encoder, _: u32, int_field: u32) {
        // `as_int` is signed; a count past i64::MAX saturates rather than wraps.
        let value = i64::try_from(self).unwrap_or(i64::MAX);
        encoder.fixed64_always(int_field, value as u64);
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry::KeyValue;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_sdk::metrics::reader::MetricReader as _;
    use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};
    use opentelemetry_sdk::Resource;
    use prost::Message as _;

    use super::*;
    use crate::metrics::pipeline::SharedReader;
    use crate::otel::otlp::encode_resource;

    /// What the encoder writes decodes to exactly what the reference
    /// conversion (`opentelemetry-proto`) builds from the same data.
    fn assert_matches_reference(temporality: Temporality) {
        let reader = ManualReader::builder()
            .with_temporality(temporality)
            .build();
        let reader = SharedReader(std::sync::Arc::new(reader));
        let resource = Resource::builder_empty()
            .with_service_name("orders")
            .with_attributes([
                KeyValue::new("faas.max_memory", 134_217_728_i64),
                KeyValue::new("ratio", 0.5),
                KeyValue::new("flag", false),
                KeyValue::new(
                    "zones",
                    opentelemetry::Value::Array(opentelemetry::Array::String(vec![
                        "a".into(),
                        "b".into(),
                    ])),
                ),
            ])
            .build();
        let provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_reader(reader.clone())
            .build();
        let meter = provider.meter("light-runtime");
        let counter = meter
            .u64_counter("faas.invocations")
            .with_unit("{invocation}")
            .build();
        counter.add(3, &[]);
        counter.add(2, &[KeyValue::new("error.type", "Function.Panic")]);
        let histogram = meter
            .f64_histogram("faas.invoke_duration")
            .with_unit("s")
            .with_description("how long")
            .build();
        for value in [0.001, 0.25, 7.5, 2000.0] {
            histogram.record(value, &[KeyValue::new("cold", true)]);
        }
        let updown = meter.i64_up_down_counter("inflight").build();
        updown.add(-4, &[]);
        let gauge = meter.f64_gauge("temperature").build();
        gauge.record(0.0, &[KeyValue::new("room", 1_i64)]);
        let mut collected = ResourceMetrics::default();
        reader.collect(&mut collected).unwrap();

        let mut encoder = Encoder::default();
        let resource_bytes = encode_resource(collected.resource());
        encode_metrics(&mut encoder, &collected, &resource_bytes);
        let decoded = ExportMetricsServiceRequest::decode(encoder.as_slice()).unwrap();
        let reference = ExportMetricsServiceRequest::from(&collected);
        assert_eq!(decoded, reference);
        let metrics = &decoded.resource_metrics[0].scope_metrics[0].metrics;
        assert_eq!(metrics.len(), 4, "{metrics:?}");
    }

    #[test]
    fn delta_metrics_decode_to_the_reference_conversion() {
        assert_matches_reference(Temporality::Delta);
    }

    #[test]
    fn cumulative_metrics_decode_to_the_reference_conversion() {
        assert_matches_reference(Temporality::Cumulative);
    }
}
