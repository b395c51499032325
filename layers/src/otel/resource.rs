//! The OpenTelemetry resource of a function: who is reporting.

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use runtime_engine::FunctionInfo;

use super::OtelVariables;

/// `service.name` (from `OTEL_SERVICE_NAME`, else the function's name), the
/// FaaS and cloud resource attributes the platform gives, then
/// `OTEL_RESOURCE_ATTRIBUTES`.
pub(crate) fn resource(function: &FunctionInfo, variables: &OtelVariables) -> Resource {
    let service_name = variables
        .service_name
        .clone()
        .unwrap_or_else(|| function.name.to_string());
    let mut attributes = vec![
        KeyValue::new("faas.name", function.name.to_string()),
        KeyValue::new("faas.version", function.version.to_string()),
    ];
    if let Some(provider) = function.platform.cloud_provider() {
        attributes.push(KeyValue::new("cloud.provider", provider));
    }
    if let Some(region) = &function.region {
        attributes.push(KeyValue::new("cloud.region", region.to_string()));
    }
    if let Some(account) = &function.account_id {
        attributes.push(KeyValue::new("cloud.account.id", account.to_string()));
    }
    if let Some(memory) = function.memory_mb {
        attributes.push(KeyValue::new(
            "faas.max_memory",
            i64::from(memory) * 1024 * 1024,
        ));
    }
    if let Some(stream) = &function.log_stream {
        attributes.push(KeyValue::new("faas.instance", stream.to_string()));
    }
    Resource::builder_empty()
        .with_service_name(service_name)
        .with_attributes(attributes)
        .with_attributes(variables.resource_attributes.iter().cloned())
        .build()
}
