//! The export formats besides the plain http/protobuf fast path, each
//! against the testkit's OTLP receiver with the runtime driven by the
//! Lambda emulator: https with a test CA, gzip, http/json, gRPC in clear
//! and over TLS, headers; and each setting that cannot be served stopping
//! init with an error that names its variable.
#![cfg(feature = "otlp-formats")]

use std::time::Duration;

use http::Version;
use light_runtime::engine::CancellationToken;
use light_runtime::{Context, Environment, Error, Runtime};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::otlp::{Format, OtlpReceiver, TestCertificates};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);
const INVOCATIONS: usize = 3;
const TRACE_ID: &str = "5759e988bd862e3fe1be46a994272793";

async fn echo(event: Value, _ctx: Context) -> Result<Value, Error> {
    tracing::info_span!("user_work").in_scope(|| tracing::info!("working"));
    Ok(event)
}

/// Runs [`INVOCATIONS`] invocations with the metrics and tracing layers
/// and `vars`, waits until the receiver has every invocation's point and
/// span, and stops the runtime.
async fn run(receiver: &OtlpReceiver, vars: &[(&str, String)]) {
    let emulator = LambdaEmulator::start().await.unwrap();
    let mut all = vec![
        ("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".into()),
        ("LIGHT_RUNTIME_LAYERS", "metrics,tracing".into()),
        ("OTEL_TRACES_SAMPLER", "always_on".into()),
    ];
    all.extend(vars.iter().cloned());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(
        Runtime::builder()
            .with_environment(Environment::from_vars(all))
            .run_until(echo, shutdown.clone()),
    );
    for index in 0..INVOCATIONS {
        let parent = 0x53995c3f42cd8a00_u64 + index as u64;
        let xray =
            format!("Root=1-5759e988-bd862e3fe1be46a994272793;Parent={parent:016x};Sampled=1");
        let id = emulator.push(Event::json(json!({ "n": index })).trace_id(xray));
        let result = emulator.result(&id, WAIT).await.expect("an answer");
        assert!(result.error_type().is_none(), "invocation {index} failed");
    }
    let n = INVOCATIONS as f64;
    let arrived = receiver
        .wait_until(WAIT, |r| {
            r.metric_sum("faas.invocations", None) == n && invocation_spans(r) == INVOCATIONS
        })
        .await;
    light_runtime_testkit::stop_runtime(&shutdown, task).await;
    assert!(receiver.rejected().is_empty(), "{:?}", receiver.rejected());
    assert!(
        arrived,
        "{} invocations and {} invocation spans arrived",
        receiver.metric_sum("faas.invocations", None),
        invocation_spans(receiver)
    );
    for span in receiver.spans() {
        assert_eq!(span.trace_id, TRACE_ID, "{span:?}");
    }
}

fn invocation_spans(receiver: &OtlpReceiver) -> usize {
    receiver
        .spans()
        .iter()
        .filter(|s| s.attributes.contains_key("faas.invocation_id"))
        .count()
}

fn header(request: &light_runtime_testkit::otlp::SeenRequest, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn https_with_a_test_ca_gzip_and_headers_arrive_whole() {
    let certificates = TestCertificates::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = certificates.write_ca(dir.path()).unwrap();
    let receiver = OtlpReceiver::builder()
        .tls(&certificates)
        .start()
        .await
        .unwrap();
    assert!(receiver.endpoint().starts_with("https://127.0.0.1:"));
    run(
        &receiver,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.display().to_string()),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip".into()),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "api-key=s3cr%3Dt,x-team=pay ments".into(),
            ),
            (
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                "x-signal=traces".into(),
            ),
        ],
    )
    .await;
    let seen = receiver.requests_seen();
    assert!(!seen.is_empty());
    for request in &seen {
        assert!(request.tls, "{request:?}");
        assert_eq!(request.version, Version::HTTP_11);
        assert_eq!(request.format, Format::Protobuf);
        assert_eq!(header(request, "content-encoding").as_deref(), Some("gzip"));
        assert_eq!(header(request, "api-key").as_deref(), Some("s3cr=t"));
        assert_eq!(header(request, "x-team").as_deref(), Some("pay ments"));
        let signal_header = header(request, "x-signal");
        if request.path == "/v1/traces" {
            assert_eq!(signal_header.as_deref(), Some("traces"));
        } else {
            assert_eq!(request.path, "/v1/metrics");
            assert_eq!(signal_header, None, "the traces header stays on traces");
        }
    }
}

#[tokio::test]
async fn http_json_decodes_into_the_proto_types_with_the_same_data() {
    let receiver = OtlpReceiver::start().await.unwrap();
    run(
        &receiver,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json".into()),
        ],
    )
    .await;
    let seen = receiver.requests_seen();
    assert!(seen.iter().all(|r| r.format == Format::Json), "{seen:?}");
    assert!(seen.iter().all(|r| !r.tls));
    // The data survived the JSON form: hex ids (checked in `run`), the
    // histogram's counts and the resource.
    assert_eq!(
        receiver.metric_sum("faas.invoke_duration", None),
        INVOCATIONS as f64
    );
    let span = receiver
        .spans()
        .into_iter()
        .find(|s| s.attributes.contains_key("faas.invocation_id"))
        .unwrap();
    assert_eq!(span.parent_span_id.len(), 16);
    assert_eq!(
        span.resource.get("service.name").map(String::as_str),
        Some("orders")
    );
}

#[tokio::test]
async fn grpc_in_clear_per_signal_protocols_mix() {
    let receiver = OtlpReceiver::start().await.unwrap();
    run(
        &receiver,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc".into()),
            (
                "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
                "http/protobuf".into(),
            ),
        ],
    )
    .await;
    for request in receiver.requests_seen() {
        if request.format == Format::Grpc {
            assert_eq!(request.version, Version::HTTP_2);
            assert_eq!(
                request.path,
                "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
            );
            assert_eq!(header(&request, "te").as_deref(), Some("trailers"));
        } else {
            assert_eq!(request.path, "/v1/metrics", "{request:?}");
            assert_eq!(request.version, Version::HTTP_11);
        }
    }
}

#[tokio::test]
async fn grpc_over_tls_with_gzip() {
    let certificates = TestCertificates::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = certificates.write_ca(dir.path()).unwrap();
    let receiver = OtlpReceiver::builder()
        .tls(&certificates)
        .start()
        .await
        .unwrap();
    run(
        &receiver,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".into()),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip".into()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.display().to_string()),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "authorization=Bearer%20t0ken".into(),
            ),
        ],
    )
    .await;
    let seen = receiver.requests_seen();
    assert!(seen
        .iter()
        .any(|r| r.path.ends_with("MetricsService/Export")));
    for request in &seen {
        assert!(request.tls);
        assert_eq!(request.version, Version::HTTP_2, "ALPN h2");
        assert_eq!(request.format, Format::Grpc);
        assert_eq!(header(request, "grpc-encoding").as_deref(), Some("gzip"));
        assert_eq!(
            header(request, "authorization").as_deref(),
            Some("Bearer t0ken")
        );
    }
}

#[tokio::test]
async fn a_setting_that_cannot_be_served_stops_init_and_names_its_variable() {
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")],
            "OTEL_EXPORTER_OTLP_PROTOCOL=`thrift` is not valid",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "zstd")],
            "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION=`zstd` is not valid",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_HEADERS", "api-key")],
            "OTEL_EXPORTER_OTLP_HEADERS: the entry `api-key` is not valid",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318")],
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=`collector:4318` is not valid",
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:1"),
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"),
            ],
            "OTEL_EXPORTER_OTLP_CERTIFICATE=`/nonexistent/ca.pem` cannot be used",
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:1"),
                (
                    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                    "/nonexistent/client.pem",
                ),
            ],
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is set but OTEL_EXPORTER_OTLP_CLIENT_KEY",
        ),
    ];
    for (vars, expected) in cases {
        let emulator = LambdaEmulator::start().await.unwrap();
        let mut all = vec![
            ("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api()),
            ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), "orders".to_owned()),
            (
                "LIGHT_RUNTIME_LAYERS".to_owned(),
                "metrics,tracing".to_owned(),
            ),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(),
                "http://127.0.0.1:1".to_owned(),
            ),
        ];
        for (name, value) in vars {
            all.retain(|(kept, _)| kept != name);
            all.push((name.to_string(), value.to_string()));
        }
        let ended = tokio::time::timeout(
            WAIT,
            Runtime::builder()
                .with_environment(Environment::from_vars(all))
                .run_until(echo, CancellationToken::new()),
        )
        .await
        .expect("init ends by itself");
        let error = ended.expect_err("init fails");
        assert!(error.is_init(), "{vars:?}: {error}");
        let init = emulator
            .wait_init_error(WAIT)
            .await
            .expect("init/error posted");
        let message = init.body_json().unwrap()["errorMessage"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(expected), "{vars:?}: {message}");
        assert_eq!(emulator.count("/invocation/next"), 0, "{vars:?}");
    }
}
