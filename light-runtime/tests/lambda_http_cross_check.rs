//! The gateway conversions checked against `lambda_http` 1.x, AWS's own
//! crate: for each AWS fixture both read the same request (method, URI,
//! headers, body), and the same axum app behind each runtime, on the same
//! Lambda emulator, answers the same response JSON.
//!
//! This file is its own test binary because `lambda_http` reads its
//! configuration from the process environment.

mod http_app;

use std::time::Duration;

use bytes::Bytes;
use light_runtime::engine::CancellationToken;
use light_runtime::events::http::{Gateway, StageInPath};
use light_runtime::{Environment, Runtime};
use light_runtime_testkit::lambda::{Event, InvocationResult, LambdaEmulator};
use serde_json::Value;

use http_app::{app, fixture, form_pairs};

const WAIT: Duration = Duration::from_secs(20);

/// The AWS fixtures and the gateway each is.
const FIXTURES: [(&str, Gateway); 6] = [
    ("apigw_rest.json", Gateway::ApiGatewayRest),
    ("apigw_http.json", Gateway::ApiGatewayHttp),
    ("apigw_http_staged_base64.json", Gateway::ApiGatewayHttp),
    (
        "alb.json",
        Gateway::Alb {
            multi_value_headers: false,
        },
    ),
    (
        "alb_multi_value.json",
        Gateway::Alb {
            multi_value_headers: true,
        },
    ),
    ("function_url.json", Gateway::FunctionUrl),
];

/// A URI with its query as sorted pairs: `lambda_http` orders a REST API's
/// or ALB's query keys by a hash map, so only the pairs can be compared.
fn comparable(uri: &http::Uri) -> (String, Vec<(String, String)>) {
    let mut pairs = form_pairs(uri.query().unwrap_or(""));
    pairs.sort();
    let mut without_query = uri.path().to_owned();
    if let Some(authority) = uri.authority() {
        without_query = format!(
            "{}://{authority}{without_query}",
            uri.scheme_str().unwrap_or("")
        );
    }
    (without_query, pairs)
}

#[test]
fn each_aws_fixture_reads_as_the_same_request_as_lambda_http_reads_it() {
    for (name, gateway) in FIXTURES {
        let event = fixture(name);
        assert_eq!(Gateway::detect(&event), Some(gateway), "{name}");
        let ours = gateway.request(&event, StageInPath::Keep).unwrap();
        let theirs = lambda_http::request::from_str(std::str::from_utf8(&event).unwrap())
            .unwrap_or_else(|error| panic!("lambda_http cannot read {name}: {error}"));
        assert_eq!(ours.method(), theirs.method(), "{name}: method");
        let (ours_uri, theirs_uri) = (comparable(ours.uri()), comparable(theirs.uri()));
        if gateway
            == (Gateway::Alb {
                multi_value_headers: true,
            })
        {
            // lambda_http looks for the host only in the single-value
            // `headers`, which a multi-value target group does not send, so
            // its URI is relative; ours keeps the host from
            // `multiValueHeaders`. Path and query must still agree.
            assert_eq!(theirs_uri.0, "/orders/42", "{name}: lambda_http's URI");
            assert!(ours_uri.0.ends_with(&theirs_uri.0), "{name}: {ours_uri:?}");
            assert_eq!(ours_uri.1, theirs_uri.1, "{name}: query");
        } else {
            assert_eq!(ours_uri, theirs_uri, "{name}: URI");
        }
        assert_eq!(ours.headers(), theirs.headers(), "{name}: headers");
        assert_eq!(ours.body().as_ref(), theirs.body().as_ref(), "{name}: body");
    }
}

/// The response JSON each emulator received for `event`.
async fn answer(emulator: &LambdaEmulator, event: &[u8]) -> Value {
    let id = emulator.push(Event::raw(Bytes::copy_from_slice(event)));
    match emulator.result(&id, WAIT).await.expect("an answer in time") {
        InvocationResult::Response { body, .. } => serde_json::from_slice(&body).unwrap(),
        other => panic!("an error instead of a response: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_axum_app_answers_the_same_json_on_both_runtimes() {
    let ours = LambdaEmulator::start().await.unwrap();
    let theirs = LambdaEmulator::start().await.unwrap();

    // lambda_http reads the process environment; this binary has no other test that does.
    for (name, value) in [
        ("AWS_LAMBDA_RUNTIME_API", theirs.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME", "orders".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "1".to_owned()),
    ] {
        std::env::set_var(name, value);
    }
    // lambda_http's run future is not `Send` with an axum body: it gets a
    // thread and a current-thread runtime of its own, as in a bootstrap.
    std::thread::spawn(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(lambda_http::run(app()))
    });
    let shutdown = CancellationToken::new();
    let runtime = Runtime::builder().with_environment(Environment::from_vars([(
        "AWS_LAMBDA_RUNTIME_API".to_owned(),
        ours.runtime_api(),
    )]));
    let task = tokio::spawn(runtime.run_until(app(), shutdown.clone()));

    // What the app answers each fixture with: the REST API's stage puts
    // its request on the echo route (202); the staged upload comes back
    // as binary.
    let expected = [
        ("apigw_rest.json", 202, false),
        ("apigw_http.json", 200, false),
        ("apigw_http_staged_base64.json", 200, true),
        ("alb.json", 200, false),
        ("alb_multi_value.json", 200, false),
        ("function_url.json", 200, false),
    ];
    for ((name, gateway), (expected_name, status, binary)) in FIXTURES.into_iter().zip(expected) {
        assert_eq!(name, expected_name);
        let event = fixture(name);
        let mine = answer(&ours, &event).await;
        assert_eq!(mine["statusCode"], status, "{name}: {mine}");
        assert_eq!(mine["isBase64Encoded"], binary, "{name}: {mine}");
        let reference_json = answer(&theirs, &event).await;
        if gateway == Gateway::FunctionUrl {
            // lambda_http answers a function URL in the HTTP API's shape
            // (with an empty `multiValueHeaders`); ours uses the function
            // URL's own, which has every other field the same.
            for field in [
                "statusCode",
                "headers",
                "body",
                "isBase64Encoded",
                "cookies",
            ] {
                assert_eq!(mine[field], reference_json[field], "{name}: {field}");
            }
            assert!(mine.get("multiValueHeaders").is_none(), "{name}: {mine}");
        } else {
            assert_eq!(mine, reference_json, "{name}");
        }
    }

    shutdown.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("our runtime stops in time")
        .unwrap()
        .unwrap();
}
