//! Metrics as JSON lines on stdout; on AWS, CloudWatch Embedded Metric
//! Format, so CloudWatch turns the log lines into metrics without an agent.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, Metric, MetricData, ResourceMetrics};
use serde_json::{json, Map, Value};

/// The data points in `metrics` (counted at every flush, so without
/// building them as [`lines`] does).
pub(super) fn count_points(metrics: &ResourceMetrics) -> u64 {
    fn count<T>(data: &MetricData<T>) -> usize {
        match data {
            MetricData::Sum(sum) => sum.data_points().count(),
            MetricData::Gauge(gauge) => gauge.data_points().count(),
            MetricData::Histogram(histogram) => histogram.data_points().count(),
            MetricData::ExponentialHistogram(histogram) => histogram.data_points().count(),
        }
    }
    let mut total = 0;
    for scope in metrics.scope_metrics() {
        for metric in scope.metrics() {
            total += match metric.data() {
                AggregatedMetrics::F64(data) => count(data),
                AggregatedMetrics::U64(data) => count(data),
                AggregatedMetrics::I64(data) => count(data),
            };
        }
    }
    total as u64
}

/// One line per data point: EMF on AWS, plain JSON elsewhere.
pub(super) fn lines(
    metrics: &ResourceMetrics,
    emf: bool,
    namespace: &str,
    function: &str,
) -> Vec<String> {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let mut out = Vec::new();
    for_each_point(metrics, |metric, attributes, values| {
        let line = if emf {
            emf_line(namespace, function, timestamp, metric, attributes, &values)
        } else {
            let mut object = Map::new();
            object.insert("metric".into(), metric.name().into());
            object.insert("unit".into(), metric.unit().into());
            object.insert("attributes".into(), attribute_map(attributes).into());
            for (suffix, value) in &values {
                let key = if suffix.is_empty() {
                    "value"
                } else {
                    &suffix[1..]
                };
                object.insert(key.into(), (*value).into());
            }
            Value::Object(object)
        };
        out.push(line.to_string());
    });
    out
}

/// Writes `lines` to stdout in one locked write.
pub(super) fn write_stdout(lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let mut text = lines.join("\n");
    text.push('\n');
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn emf_line(
    namespace: &str,
    function: &str,
    timestamp: u64,
    metric: &Metric,
    attributes: &[KeyValue],
    values: &[(&'static str, f64)],
) -> Value {
    let mut dimensions = vec!["FunctionName".to_owned()];
    let mut object = Map::new();
    object.insert("FunctionName".into(), function.into());
    for kv in attributes {
        dimensions.push(kv.key.to_string());
        object.insert(kv.key.to_string(), kv.value.to_string().into());
    }
    let mut definitions = Vec::new();
    for (suffix, value) in values {
        let name = format!("{}{suffix}", metric.name());
        let unit =
            if suffix.is_empty() || *suffix == ".sum" || *suffix == ".max" || *suffix == ".min" {
                emf_unit(metric.unit())
            } else {
                "Count"
            };
        definitions.push(json!({ "Name": name, "Unit": unit }));
        object.insert(name, (*value).into());
    }
    object.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [dimensions],
                "Metrics": definitions,
            }],
        }),
    );
    Value::Object(object)
}

fn emf_unit(unit: &str) -> &'static str {
    match unit {
        "s" => "Seconds",
        "ms" => "Milliseconds",
        "By" => "Bytes",
        _ => "Count",
    }
}

fn attribute_map(attributes: &[KeyValue]) -> Map<String, Value> {
    attributes
        .iter()
        .map(|kv| (kv.key.to_string(), Value::from(kv.value.to_string())))
        .collect()
}

/// Calls `f(metric, attributes, values)` for each data point; a sum or
/// gauge has one value (suffix ""), a histogram `.count`, `.sum`, and
/// `.min`/`.max` when known.
fn for_each_point(
    metrics: &ResourceMetrics,
    mut f: impl FnMut(&Metric, &[KeyValue], Vec<(&'static str, f64)>),
) {
    for scope in metrics.scope_metrics() {
        for metric in scope.metrics() {
            match metric.data() {
                AggregatedMetrics::F64(data) => points(metric, data, |v| v, &mut f),
                AggregatedMetrics::U64(data) => points(metric, data, |v| v as f64, &mut f),
                AggregatedMetrics::I64(data) => points(metric, data, |v| v as f64, &mut f),
            }
        }
    }
}

fn points<T: Copy>(
    metric: &Metric,
    data: &MetricData<T>,
    to_f64: impl Fn(T) -> f64,
    f: &mut impl FnMut(&Metric, &[KeyValue], Vec<(&'static str, f64)>),
) {
    match data {
        MetricData::Sum(sum) => {
            for point in sum.data_points() {
                let attributes: Vec<KeyValue> = point.attributes().cloned().collect();
                f(metric, &attributes, vec![("", to_f64(point.value()))]);
            }
        }
        MetricData::Gauge(gauge) => {
            for point in gauge.data_points() {
                let attributes: Vec<KeyValue> = point.attributes().cloned().collect();
                f(metric, &attributes, vec![("", to_f64(point.value()))]);
            }
        }
        MetricData::Histogram(histogram) => {
            for point in histogram.data_points() {
                let attributes: Vec<KeyValue> = point.attributes().cloned().collect();
                let mut values = vec![
                    (".count", point.count() as f64),
                    (".sum", to_f64(point.sum())),
                ];
                if let Some(min) = point.min() {
                    values.push((".min", to_f64(min)));
                }
                if let Some(max) = point.max() {
                    values.push((".max", to_f64(max)));
                }
                f(metric, &attributes, values);
            }
        }
        MetricData::ExponentialHistogram(histogram) => {
            for point in histogram.data_points() {
                let attributes: Vec<KeyValue> = point.attributes().cloned().collect();
                f(metric, &attributes, vec![(".count", point.count() as f64)]);
            }
        }
    }
}
