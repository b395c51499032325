//! `ExportMetricsServiceRequest` from the SDK's collected metrics
//! (`opentelemetry/proto/metrics/v1`, `collector/metrics/v1`).

use opentelemetry_sdk::metrics::data::{
    AggregatedMetrics, Exemplar, ExponentialHistogram, Gauge, Histogram, Metric, MetricData,
    ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_sdk::metrics::Temporality;

use super::common::{attributes, nanos, scope};
use super::proto::Encoder;

/// Field numbers of `opentelemetry/proto/metrics/v1/metrics.proto` and
/// `collector/metrics/v1/metrics_service.proto`: a module per message, a
/// constant per field, named as there.
mod field {
    /// `ExportMetricsServiceRequest`.
    pub(super) mod export_metrics_service_request {
        pub(crate) const RESOURCE_METRICS: u32 = 1;
    }
    /// `ResourceMetrics`.
    pub(super) mod resource_metrics {
        pub(crate) const RESOURCE: u32 = 1;
        pub(crate) const SCOPE_METRICS: u32 = 2;
        pub(crate) const SCHEMA_URL: u32 = 3;
    }
    /// `ScopeMetrics`.
    pub(super) mod scope_metrics {
        pub(crate) const SCOPE: u32 = 1;
        pub(crate) const METRICS: u32 = 2;
        pub(crate) const SCHEMA_URL: u32 = 3;
    }
    /// `Metric`, whose data is a `oneof`.
    pub(super) mod metric {
        pub(crate) const NAME: u32 = 1;
        pub(crate) const DESCRIPTION: u32 = 2;
        pub(crate) const UNIT: u32 = 3;
        pub(crate) const GAUGE: u32 = 5;
        pub(crate) const SUM: u32 = 7;
        pub(crate) const HISTOGRAM: u32 = 9;
        pub(crate) const EXPONENTIAL_HISTOGRAM: u32 = 10;
    }
    /// `Gauge`.
    pub(super) mod gauge {
        pub(crate) const DATA_POINTS: u32 = 1;
    }
    /// `Sum`.
    pub(super) mod sum {
        pub(crate) const DATA_POINTS: u32 = 1;
        pub(crate) const AGGREGATION_TEMPORALITY: u32 = 2;
        pub(crate) const IS_MONOTONIC: u32 = 3;
    }
    /// `Histogram` and `ExponentialHistogram`.
    pub(super) mod histogram {
        pub(crate) const DATA_POINTS: u32 = 1;
        pub(crate) const AGGREGATION_TEMPORALITY: u32 = 2;
    }
    /// `NumberDataPoint`, whose value is a `oneof`.
    pub(super) mod number_data_point {
        pub(crate) const START_TIME_UNIX_NANO: u32 = 2;
        pub(crate) const TIME_UNIX_NANO: u32 = 3;
        pub(crate) const AS_DOUBLE: u32 = 4;
        pub(crate) const EXEMPLARS: u32 = 5;
        pub(crate) const AS_INT: u32 = 6;
        pub(crate) const ATTRIBUTES: u32 = 7;
    }
    /// `HistogramDataPoint`.
    pub(super) mod histogram_data_point {
        pub(crate) const START_TIME_UNIX_NANO: u32 = 2;
        pub(crate) const TIME_UNIX_NANO: u32 = 3;
        pub(crate) const COUNT: u32 = 4;
        pub(crate) const SUM: u32 = 5;
        pub(crate) const BUCKET_COUNTS: u32 = 6;
        pub(crate) const EXPLICIT_BOUNDS: u32 = 7;
        pub(crate) const EXEMPLARS: u32 = 8;
        pub(crate) const ATTRIBUTES: u32 = 9;
        pub(crate) const MIN: u32 = 11;
        pub(crate) const MAX: u32 = 12;
    }
    /// `ExponentialHistogramDataPoint`.
    pub(super) mod exponential_histogram_data_point {
        pub(crate) const ATTRIBUTES: u32 = 1;
        pub(crate) const START_TIME_UNIX_NANO: u32 = 2;
        pub(crate) const TIME_UNIX_NANO: u32 = 3;
        pub(crate) const COUNT: u32 = 4;
        pub(crate) const SUM: u32 = 5;
        pub(crate) const SCALE: u32 = 6;
        pub(crate) const ZERO_COUNT: u32 = 7;
        pub(crate) const POSITIVE: u32 = 8;
        pub(crate) const NEGATIVE: u32 = 9;
        pub(crate) const EXEMPLARS: u32 = 11;
        pub(crate) const MIN: u32 = 12;
        pub(crate) const MAX: u32 = 13;
        pub(crate) const ZERO_THRESHOLD: u32 = 14;
    }
    /// `ExponentialHistogramDataPoint.Buckets`.
    pub(super) mod buckets {
        pub(crate) const OFFSET: u32 = 1;
        pub(crate) const BUCKET_COUNTS: u32 = 2;
    }
    /// `Exemplar`, whose value is a `oneof`.
    pub(super) mod exemplar {
        pub(crate) const TIME_UNIX_NANO: u32 = 2;
        pub(crate) const AS_DOUBLE: u32 = 3;
        pub(crate) const SPAN_ID: u32 = 4;
        pub(crate) const TRACE_ID: u32 = 5;
        pub(crate) const AS_INT: u32 = 6;
        pub(crate) const FILTERED_ATTRIBUTES: u32 = 7;
    }
}

/// `AggregationTemporality` values.
const AGGREGATION_TEMPORALITY_DELTA: u64 = 1;
const AGGREGATION_TEMPORALITY_CUMULATIVE: u64 = 2;

/// Encodes `metrics` as one `ExportMetricsServiceRequest`, with the
/// resource already encoded by [`encode_resource`](super::encode_resource).
pub(crate) fn encode_metrics(encoder: &mut Encoder, metrics: &ResourceMetrics, resource: &[u8]) {
    use field::resource_metrics::{RESOURCE, SCHEMA_URL, SCOPE_METRICS};
    let request = field::export_metrics_service_request::RESOURCE_METRICS;
    encoder.message(request, |resource_metrics| {
        resource_metrics.encoded_message(RESOURCE, resource);
        for scope_metrics in metrics.scope_metrics() {
            resource_metrics.message(SCOPE_METRICS, |e| encode_scope_metrics(e, scope_metrics));
        }
        let schema_url = metrics.resource().schema_url().unwrap_or_default();
        resource_metrics.string(SCHEMA_URL, schema_url);
    });
}

/// `ScopeMetrics`.
fn encode_scope_metrics(encoder: &mut Encoder, scope_metrics: &ScopeMetrics) {
    use field::scope_metrics::{METRICS, SCHEMA_URL, SCOPE};
    encoder.message(SCOPE, |e| scope(e, scope_metrics.scope()));
    for metric in scope_metrics.metrics() {
        encoder.message(METRICS, |e| encode_metric(e, metric));
    }
    encoder.string(
        SCHEMA_URL,
        scope_metrics.scope().schema_url().unwrap_or_default(),
    );
}

/// `Metric`.
fn encode_metric(encoder: &mut Encoder, metric: &Metric) {
    use field::metric::{DESCRIPTION, NAME, UNIT};
    encoder.string(NAME, metric.name());
    encoder.string(DESCRIPTION, metric.description());
    encoder.string(UNIT, metric.unit());
    match metric.data() {
        AggregatedMetrics::F64(data) => encode_data(encoder, data),
        AggregatedMetrics::U64(data) => encode_data(encoder, data),
        AggregatedMetrics::I64(data) => encode_data(encoder, data),
    }
}

fn encode_data<T: Number>(encoder: &mut Encoder, data: &MetricData<T>) {
    use field::metric::{EXPONENTIAL_HISTOGRAM, GAUGE, HISTOGRAM, SUM};
    match data {
        MetricData::Gauge(gauge) => encoder.message(GAUGE, |e| encode_gauge(e, gauge)),
        MetricData::Sum(sum) => encoder.message(SUM, |e| encode_sum(e, sum)),
        MetricData::Histogram(histogram) => {
            encoder.message(HISTOGRAM, |e| encode_histogram(e, histogram))
        }
        MetricData::ExponentialHistogram(histogram) => {
            encoder.message(EXPONENTIAL_HISTOGRAM, |e| encode_exponential(e, histogram))
        }
    }
}

/// `Gauge` of `NumberDataPoint`s.
fn encode_gauge<T: Number>(encoder: &mut Encoder, gauge: &Gauge<T>) {
    let start = gauge.start_time().map_or(0, nanos);
    let time = nanos(gauge.time());
    for point in gauge.data_points() {
        encoder.message(field::gauge::DATA_POINTS, |e| {
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
    use field::number_data_point::*;
    encoder.fixed64(START_TIME_UNIX_NANO, start);
    encoder.fixed64(TIME_UNIX_NANO, time);
    value.encode(encoder, AS_DOUBLE, AS_INT);
    exemplars(encoder, EXEMPLARS, point_exemplars);
    attributes(encoder, ATTRIBUTES, point_attributes);
}

/// `Sum` of `NumberDataPoint`s.
fn encode_sum<T: Number>(encoder: &mut Encoder, sum: &Sum<T>) {
    use field::sum::{AGGREGATION_TEMPORALITY, DATA_POINTS, IS_MONOTONIC};
    let start = nanos(sum.start_time());
    let time = nanos(sum.time());
    for point in sum.data_points() {
        encoder.message(DATA_POINTS, |e| {
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
    encoder.uint64(AGGREGATION_TEMPORALITY, temporality(sum.temporality()));
    encoder.bool(IS_MONOTONIC, sum.is_monotonic());
}

/// `Histogram` of `HistogramDataPoint`s.
fn encode_histogram<T: Number>(encoder: &mut Encoder, histogram: &Histogram<T>) {
    use field::histogram::{AGGREGATION_TEMPORALITY, DATA_POINTS};
    use field::histogram_data_point::*;
    let start = nanos(histogram.start_time());
    let time = nanos(histogram.time());
    for point in histogram.data_points() {
        encoder.message(DATA_POINTS, |e| {
            e.fixed64(START_TIME_UNIX_NANO, start);
            e.fixed64(TIME_UNIX_NANO, time);
            e.fixed64(COUNT, point.count());
            e.double_always(SUM, point.sum().as_f64());
            e.packed_fixed64(BUCKET_COUNTS, point.bucket_counts());
            e.packed_double(EXPLICIT_BOUNDS, point.bounds());
            exemplars(e, EXEMPLARS, point.exemplars());
            attributes(e, ATTRIBUTES, point.attributes());
            if let Some(min) = point.min() {
                e.double_always(MIN, min.as_f64());
            }
            if let Some(max) = point.max() {
                e.double_always(MAX, max.as_f64());
            }
        });
    }
    encoder.uint64(
        AGGREGATION_TEMPORALITY,
        temporality(histogram.temporality()),
    );
}

/// `ExponentialHistogram` of `ExponentialHistogramDataPoint`s.
fn encode_exponential<T: Number>(encoder: &mut Encoder, histogram: &ExponentialHistogram<T>) {
    use field::exponential_histogram_data_point::*;
    use field::histogram::{AGGREGATION_TEMPORALITY, DATA_POINTS};
    let start = nanos(histogram.start_time());
    let time = nanos(histogram.time());
    for point in histogram.data_points() {
        encoder.message(DATA_POINTS, |e| {
            attributes(e, ATTRIBUTES, point.attributes());
            e.fixed64(START_TIME_UNIX_NANO, start);
            e.fixed64(TIME_UNIX_NANO, time);
            e.fixed64(COUNT, point.count() as u64);
            e.double_always(SUM, point.sum().as_f64());
            e.sint32(SCALE, i32::from(point.scale()));
            e.fixed64(ZERO_COUNT, point.zero_count());
            for (side, bucket) in [
                (POSITIVE, point.positive_bucket()),
                (NEGATIVE, point.negative_bucket()),
            ] {
                e.message(side, |b| {
                    b.sint32(field::buckets::OFFSET, bucket.offset());
                    b.packed_uint64(field::buckets::BUCKET_COUNTS, bucket.counts());
                });
            }
            exemplars(e, EXEMPLARS, point.exemplars());
            if let Some(min) = point.min() {
                e.double_always(MIN, min.as_f64());
            }
            if let Some(max) = point.max() {
                e.double_always(MAX, max.as_f64());
            }
            e.double(ZERO_THRESHOLD, point.zero_threshold());
        });
    }
    encoder.uint64(
        AGGREGATION_TEMPORALITY,
        temporality(histogram.temporality()),
    );
}

/// Repeated `Exemplar` at `field`.
fn exemplars<'a, T: Number + 'a>(
    encoder: &mut Encoder,
    field: u32,
    exemplars: impl Iterator<Item = &'a Exemplar<T>>,
) {
    use self::field::exemplar::*;
    for exemplar in exemplars {
        encoder.message(field, |e| {
            e.fixed64(TIME_UNIX_NANO, nanos(exemplar.time()));
            exemplar.value.encode(e, AS_DOUBLE, AS_INT);
            e.bytes(SPAN_ID, exemplar.span_id());
            e.bytes(TRACE_ID, exemplar.trace_id());
            attributes(e, FILTERED_ATTRIBUTES, exemplar.filtered_attributes());
        });
    }
}

/// The `AggregationTemporality` value.
fn temporality(temporality: Temporality) -> u64 {
    match temporality {
        Temporality::Delta => AGGREGATION_TEMPORALITY_DELTA,
        _ => AGGREGATION_TEMPORALITY_CUMULATIVE,
    }
}

/// The SDK's number types, and how each is written in a `oneof` of
/// `as_double` and `as_int` (`sfixed64`).
trait Number: Copy {
    fn as_f64(self) -> f64;
    fn encode(self, encoder: &mut Encoder, as_double: u32, as_int: u32);
}

impl Number for f64 {
    fn as_f64(self) -> f64 {
        self
    }
    fn encode(self, encoder: &mut Encoder, as_double: u32, _: u32) {
        encoder.double_always(as_double, self);
    }
}

impl Number for i64 {
    fn as_f64(self) -> f64 {
        self as f64
    }
    fn encode(self, encoder: &mut Encoder, _: u32, as_int: u32) {
        encoder.sfixed64_always(as_int, self);
    }
}

impl Number for u64 {
    fn as_f64(self) -> f64 {
        self as f64
    }
    fn encode(self, encoder: &mut Encoder, _: u32, as_int: u32) {
        // `as_int` is signed; a count past i64::MAX saturates rather than wraps.
        encoder.sfixed64_always(as_int, i64::try_from(self).unwrap_or(i64::MAX));
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
    use crate::metrics::pipeline::ManualReaderHandle;
    use crate::otel::otlp::encode_resource;

    /// What the encoder writes decodes to exactly what the reference
    /// conversion (`opentelemetry-proto`) builds from the same data.
    fn assert_matches_reference(temporality: Temporality) {
        let reader = ManualReader::builder()
            .with_temporality(temporality)
            .build();
        let reader = ManualReaderHandle(std::sync::Arc::new(reader));
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
