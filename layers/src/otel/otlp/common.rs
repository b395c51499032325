//! The messages both signals share: attributes, values, the resource and
//! the instrumentation scope (`opentelemetry/proto/common/v1`,
//! `resource/v1`).

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::{Array, InstrumentationScope, Key, KeyValue, StringValue, Value};
use opentelemetry_sdk::Resource;

use super::proto::Encoder;

/// `Resource` encoded once: it is the same in every export.
pub(crate) fn encode_resource(resource: &Resource) -> Vec<u8> {
    let mut encoder = Encoder::default();
    for (key, value) in resource.iter() {
        encoder.message(1, |kv| key_value(kv, key, value));
    }
    encoder.into_inner()
}

/// `InstrumentationScope { name = 1, version = 2, attributes = 3 }`.
pub(crate) fn scope(encoder: &mut Encoder, scope: &InstrumentationScope) {
    encoder.string(1, scope.name());
    encoder.string(2, scope.version().unwrap_or_default());
    attributes(encoder, 3, scope.attributes());
}

/// Repeated `KeyValue` at `field`.
pub(crate) fn attributes<'a>(
    encoder: &mut Encoder,
    field: u32,
    attributes: impl IntoIterator<Item = &'a KeyValue>,
) {
    for attribute in attributes {
        encoder.message(field, |kv| key_value(kv, &attribute.key, &attribute.value));
    }
}

/// `KeyValue { key = 1, value = 2 }`.
fn key_value(encoder: &mut Encoder, key: &Key, value: &Value) {
    encoder.string(1, key.as_str());
    encoder.message(2, |any| any_value(any, value));
}

/// `AnyValue`: a `oneof` of string (1), bool (2), int (3), double (4) and
/// array (5). A value kind added to the API later goes as its text.
fn any_value(encoder: &mut Encoder, value: &Value) {
    match value {
        Value::String(text) => encoder.string_always(1, text.as_str()),
        Value::Bool(flag) => encoder.bool_always(2, *flag),
        Value::I64(number) => encoder.int64_always(3, *number),
        Value::F64(number) => encoder.double_always(4, *number),
        Value::Array(array) => encoder.message(5, |values| array_values(values, array)),
        other => encoder.string_always(1, &other.as_str()),
    }
}

/// `ArrayValue { values = 1 }`.
fn array_values(encoder: &mut Encoder, array: &Array) {
    match array {
        Array::Bool(items) => each(encoder, items, |e, v| e.bool_always(2, *v)),
        Array::I64(items) => each(encoder, items, |e, v| e.int64_always(3, *v)),
        Array::F64(items) => each(encoder, items, |e, v| e.double_always(4, *v)),
        Array::String(items) => each(encoder, items, |e, v: &StringValue| {
            e.string_always(1, v.as_str())
        }),
        other => encoder.message(1, |e| e.string_always(1, &other.to_string())),
    }
}

fn each<T>(encoder: &mut Encoder, items: &[T], mut item: impl FnMut(&mut Encoder, &T)) {
    for value in items {
        encoder.message(1, |any| item(any, value));
    }
}

/// Nanoseconds since the Unix epoch; 0 for a time before it.
pub(crate) fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}
