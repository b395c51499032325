//! The messages both signals share: attributes, values, the resource and
//! the instrumentation scope (`opentelemetry/proto/common/v1`,
//! `resource/v1`).

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::{Array, InstrumentationScope, Key, KeyValue, StringValue, Value};
use opentelemetry_sdk::Resource;

use super::proto::Encoder;

/// Field numbers of `opentelemetry/proto/common/v1/common.proto` and
/// `resource/v1/resource.proto`: a module per message, a constant per
/// field, named as there.
pub(crate) mod field {
    /// `Resource`.
    pub(crate) mod resource {
        pub(crate) const ATTRIBUTES: u32 = 1;
    }
    /// `InstrumentationScope`.
    pub(crate) mod instrumentation_scope {
        pub(crate) const NAME: u32 = 1;
        pub(crate) const VERSION: u32 = 2;
        pub(crate) const ATTRIBUTES: u32 = 3;
    }
    /// `KeyValue`.
    pub(crate) mod key_value {
        pub(crate) const KEY: u32 = 1;
        pub(crate) const VALUE: u32 = 2;
    }
    /// `AnyValue`, a `oneof`.
    pub(crate) mod any_value {
        pub(crate) const STRING_VALUE: u32 = 1;
        pub(crate) const BOOL_VALUE: u32 = 2;
        pub(crate) const INT_VALUE: u32 = 3;
        pub(crate) const DOUBLE_VALUE: u32 = 4;
        pub(crate) const ARRAY_VALUE: u32 = 5;
    }
    /// `ArrayValue`.
    pub(crate) mod array_value {
        pub(crate) const VALUES: u32 = 1;
    }
}

/// `Resource` encoded once: it is the same in every export.
pub(crate) fn encode_resource(resource: &Resource) -> Vec<u8> {
    let mut encoder = Encoder::default();
    for (key, value) in resource.iter() {
        encoder.message(field::resource::ATTRIBUTES, |kv| key_value(kv, key, value));
    }
    encoder.into_inner()
}

/// `InstrumentationScope`.
pub(crate) fn scope(encoder: &mut Encoder, scope: &InstrumentationScope) {
    use field::instrumentation_scope::{ATTRIBUTES, NAME, VERSION};
    encoder.string(NAME, scope.name());
    encoder.string(VERSION, scope.version().unwrap_or_default());
    attributes(encoder, ATTRIBUTES, scope.attributes());
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

/// `KeyValue`.
fn key_value(encoder: &mut Encoder, key: &Key, value: &Value) {
    encoder.string(field::key_value::KEY, key.as_str());
    encoder.message(field::key_value::VALUE, |any| any_value(any, value));
}

/// `AnyValue`. A value kind added to the API later goes as its text.
fn any_value(encoder: &mut Encoder, value: &Value) {
    use field::any_value::{ARRAY_VALUE, BOOL_VALUE, DOUBLE_VALUE, INT_VALUE, STRING_VALUE};
    match value {
        Value::String(text) => encoder.string_always(STRING_VALUE, text.as_str()),
        Value::Bool(flag) => encoder.bool_always(BOOL_VALUE, *flag),
        Value::I64(number) => encoder.int64_always(INT_VALUE, *number),
        Value::F64(number) => encoder.double_always(DOUBLE_VALUE, *number),
        Value::Array(array) => encoder.message(ARRAY_VALUE, |values| array_values(values, array)),
        other => encoder.string_always(STRING_VALUE, &other.as_str()),
    }
}

/// `ArrayValue`: each item an `AnyValue`.
fn array_values(encoder: &mut Encoder, array: &Array) {
    use field::any_value::{BOOL_VALUE, DOUBLE_VALUE, INT_VALUE, STRING_VALUE};
    match array {
        Array::Bool(items) => each(encoder, items, |e, v| e.bool_always(BOOL_VALUE, *v)),
        Array::I64(items) => each(encoder, items, |e, v| e.int64_always(INT_VALUE, *v)),
        Array::F64(items) => each(encoder, items, |e, v| e.double_always(DOUBLE_VALUE, *v)),
        Array::String(items) => each(encoder, items, |e, v: &StringValue| {
            e.string_always(STRING_VALUE, v.as_str())
        }),
        other => encoder.message(field::array_value::VALUES, |e| {
            e.string_always(STRING_VALUE, &other.to_string())
        }),
    }
}

fn each<T>(encoder: &mut Encoder, items: &[T], mut item: impl FnMut(&mut Encoder, &T)) {
    for value in items {
        encoder.message(field::array_value::VALUES, |any| item(any, value));
    }
}

/// Nanoseconds since the Unix epoch; 0 for a time before it.
pub(crate) fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64)
}
