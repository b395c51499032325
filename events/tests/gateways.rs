//! Each gateway's documented event, read as a request and answered in the
//! gateway's own response shape. The fixtures in `tests/fixtures/` follow
//! the samples of each platform's documentation:
//! AWS "Lambda proxy integration input format" (REST API), "Working with
//! AWS Lambda proxy integrations for HTTP APIs" (payload 2.0), "Lambda
//! functions as targets" (ALB, both header modes), "Lambda function URLs:
//! request payload"; Alibaba Cloud FC "Use an HTTP trigger to invoke a
//! function" (request struct); Tencent Cloud SCF "API Gateway trigger"
//! (integration request).

use bytes::Bytes;
use light_runtime_events::http::{Gateway, OriginalContext, RequestContext, StageInPath};
use serde_json::{json, Value};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn request(name: &str, expected: Gateway) -> http::Request<Bytes> {
    let event = fixture(name);
    assert_eq!(Gateway::detect(&event), Some(expected), "{name}");
    expected.request(&event, StageInPath::Keep).unwrap()
}

fn context(request: &http::Request<Bytes>) -> &RequestContext {
    request
        .extensions()
        .get::<RequestContext>()
        .expect("a RequestContext extension")
}

/// A response with what every gateway must carry: a status other than 200,
/// two cookies, a custom header and a JSON body.
fn created() -> http::Response<Bytes> {
    http::Response::builder()
        .status(201)
        .header("content-type", "application/json")
        .header("x-order", "42")
        .header("set-cookie", "session=new; Path=/; HttpOnly")
        .header("set-cookie", "theme=light")
        .body(Bytes::from_static(br#"{"id":42}"#))
        .unwrap()
}

fn answer(gateway: Gateway, response: http::Response<Bytes>) -> Value {
    serde_json::from_slice(&gateway.response(response).unwrap()).unwrap()
}

#[test]
fn aws_api_gateway_rest_v1() {
    let request = request("apigw_rest.json", Gateway::ApiGatewayRest);
    assert_eq!(request.method(), "POST");
    // The stage is in front of the path, as the client called it; repeated
    // query keys come from `multiValueQueryStringParameters`.
    assert_eq!(
        request.uri(),
        "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/orders/42?q=rust+lang&tag=red&tag=blue"
    );
    assert_eq!(request.headers()["cookie"], "session=abc; theme=dark");
    assert_eq!(request.body().as_ref(), br#"{"items":[1,2]}"#);
    let context = context(&request);
    assert_eq!(
        context.request_id.as_deref(),
        Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
    );
    assert_eq!(context.source_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(context.stage.as_deref(), Some("prod"));
    assert_eq!(context.path_parameters["id"], "42");
    assert_eq!(context.stage_variables["table"], "orders-prod");
    assert_eq!(context.claim("email"), Some("ada@example.com"));
    assert!(
        matches!(context.original, OriginalContext::ApiGatewayRest(ref c) if c.resource_path.as_deref() == Some("/orders/{id}"))
    );

    let stripped = Gateway::ApiGatewayRest
        .request(&fixture("apigw_rest.json"), StageInPath::Strip)
        .unwrap();
    assert_eq!(stripped.uri().path(), "/orders/42");

    let json = answer(Gateway::ApiGatewayRest, created());
    assert_eq!(json["statusCode"], 201);
    assert_eq!(json["multiValueHeaders"]["x-order"], json!(["42"]));
    assert_eq!(
        json["multiValueHeaders"]["set-cookie"],
        json!(["session=new; Path=/; HttpOnly", "theme=light"])
    );
    assert_eq!(json["body"], r#"{"id":42}"#);
    assert_eq!(json["isBase64Encoded"], false);
}

#[test]
fn aws_api_gateway_http_v2() {
    let request = request("apigw_http.json", Gateway::ApiGatewayHttp);
    assert_eq!(request.method(), "GET");
    // `$default` is never put in the path; the raw query keeps repeats.
    assert_eq!(
        request.uri(),
        "https://x9y8z7w6v5.execute-api.eu-west-1.amazonaws.com/orders/42?tag=red&tag=blue&q=rust%20lang"
    );
    // The `cookies` array becomes one `Cookie` header.
    assert_eq!(request.headers()["cookie"], "session=abc; theme=dark");
    assert!(request.body().is_empty());
    let context = context(&request);
    assert_eq!(context.request_id.as_deref(), Some("JKJaXmPLvHcESHA="));
    assert_eq!(context.source_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(context.claim("sub"), Some("user-7"));
    assert_eq!(context.path_parameters["id"], "42");

    let json = answer(Gateway::ApiGatewayHttp, created());
    assert_eq!(json["statusCode"], 201);
    assert_eq!(json["headers"]["x-order"], "42");
    assert!(json["headers"].get("set-cookie").is_none(), "{json}");
    assert_eq!(
        json["cookies"],
        json!(["session=new; Path=/; HttpOnly", "theme=light"])
    );
    assert_eq!(json["body"], r#"{"id":42}"#);
}

#[test]
fn aws_api_gateway_http_v2_named_stage_and_base64_bodies_both_ways() {
    let request = request("apigw_http_staged_base64.json", Gateway::ApiGatewayHttp);
    assert_eq!(
        request.uri(),
        "https://x9y8z7w6v5.execute-api.eu-west-1.amazonaws.com/beta/upload"
    );
    assert_eq!(request.body().as_ref(), b"\x89PNG\r\n\x1a\n");

    let png = http::Response::builder()
        .header("content-type", "image/png")
        .body(Bytes::from_static(b"\x89PNG\r\n\x1a\n"))
        .unwrap();
    let json = answer(Gateway::ApiGatewayHttp, png);
    assert_eq!(json["isBase64Encoded"], true);
    assert_eq!(json["body"], "iVBORw0KGgo=");
}

#[test]
fn aws_alb_single_value_headers() {
    let request = request(
        "alb.json",
        Gateway::Alb {
            multi_value_headers: false,
        },
    );
    // ALB passes the query still encoded; it is decoded once.
    assert_eq!(
        request.uri(),
        "http://orders-123.eu-west-1.elb.amazonaws.com/orders/42?q=rust+lang&tag=blue"
    );
    let context = context(&request);
    assert_eq!(context.source_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(
        context.request_id.as_deref(),
        Some("Root=1-5bdb40ca-556d8b0c50dc66f0511bf520")
    );

    let json = answer(
        Gateway::Alb {
            multi_value_headers: false,
        },
        http::Response::builder()
            .status(404)
            .body(Bytes::from_static(b"no such order"))
            .unwrap(),
    );
    assert_eq!(json["statusCode"], 404);
    assert_eq!(json["statusDescription"], "404 Not Found");
    assert_eq!(json["body"], "no such order");
}

#[test]
fn aws_alb_multi_value_headers() {
    let gateway = Gateway::Alb {
        multi_value_headers: true,
    };
    let request = request("alb_multi_value.json", gateway);
    assert_eq!(
        request.uri(),
        "https://orders-123.eu-west-1.elb.amazonaws.com/orders/42?q=rust+lang&tag=red&tag=blue"
    );
    assert_eq!(context(&request).source_ip.as_deref(), Some("198.51.100.7"));
    let json = answer(gateway, created());
    assert_eq!(
        json["multiValueHeaders"]["set-cookie"],
        json!(["session=new; Path=/; HttpOnly", "theme=light"])
    );
    assert_eq!(json["headers"]["x-order"], "42");
}

#[test]
fn aws_lambda_function_url() {
    let request = request("function_url.json", Gateway::FunctionUrl);
    assert_eq!(
        request.uri(),
        "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/orders/42?tag=red&tag=blue"
    );
    assert_eq!(request.headers()["cookie"], "session=abc");
    assert_eq!(
        context(&request).request_id.as_deref(),
        Some("id-function-url-1")
    );
    let json = answer(Gateway::FunctionUrl, created());
    assert_eq!(json["statusCode"], 201);
    assert_eq!(
        json["cookies"],
        json!(["session=new; Path=/; HttpOnly", "theme=light"])
    );
    assert!(json.get("multiValueHeaders").is_none(), "{json}");
}

#[test]
fn aliyun_fc_http_trigger_event() {
    let request = request("fc_http_trigger.json", Gateway::FcHttpTrigger);
    assert_eq!(request.method(), "PUT");
    // FC joins a repeated key's values with commas; they stay one value.
    assert_eq!(
        request.uri(),
        "https://orders-trigger.cn-hangzhou.fcapp.run/orders/42?q=rust+lang&tag=red%2Cblue"
    );
    assert_eq!(request.body().as_ref(), b"Hello FC!");
    assert_eq!(request.headers()["cookie"], "session=abc");
    let context = context(&request);
    assert_eq!(
        context.request_id.as_deref(),
        Some("1-64f6cd87-0123456789abcdef")
    );
    assert_eq!(context.source_ip.as_deref(), Some("11.11.11.1"));
    assert!(
        matches!(context.original, OriginalContext::FcHttpTrigger(ref c) if c.domain_prefix.as_deref() == Some("orders-trigger"))
    );

    let json = answer(Gateway::FcHttpTrigger, created());
    assert_eq!(
        json,
        json!({
            "statusCode": 201,
            "headers": {
                "content-type": "application/json",
                "set-cookie": "session=new; Path=/; HttpOnly, theme=light",
                "x-order": "42"
            },
            "isBase64Encoded": false,
            "body": "{\"id\":42}"
        })
    );
}

#[test]
fn tencent_scf_api_gateway_trigger_event() {
    let request = request("scf_api_gateway.json", Gateway::ScfApiGateway);
    assert_eq!(request.method(), "POST");
    // A list is a repeated key; `true` is a key with no value.
    assert_eq!(
        request.uri(),
        "https://service-f94sy04v-1250000000.gz.apigw.tencentcs.com/orders/42?debug=&q=rust+lang&tag=red&tag=blue"
    );
    assert_eq!(request.body().as_ref(), br#"{"items":[1,2]}"#);
    let context = context(&request);
    assert_eq!(context.source_ip.as_deref(), Some("10.0.2.14"));
    assert_eq!(context.stage.as_deref(), Some("release"));
    assert_eq!(context.path_parameters["id"], "42");

    let json = answer(Gateway::ScfApiGateway, created());
    assert_eq!(json["statusCode"], 201);
    assert_eq!(json["headers"]["x-order"], "42");
    assert_eq!(json["isBase64Encoded"], false);
    assert_eq!(json["body"], r#"{"id":42}"#);
}

#[test]
fn a_malformed_gateway_event_names_the_gateway_and_what_is_wrong() {
    let event = br#"{"version":"2.0","rawPath":"/x","requestContext":{"http":{"method":"GET"}},"isBase64Encoded":true,"body":"%%%"}"#;
    let gateway = Gateway::detect(event).unwrap();
    let error = gateway.request(event, StageInPath::Keep).unwrap_err();
    assert!(error.is_malformed_event());
    let message = error.to_string();
    assert!(message.contains("API Gateway HTTP API"), "{message}");
    assert!(message.contains("base64"), "{message}");

    let event =
        br#"{"httpMethod":"GET","requestContext":{"serviceId":"s"},"headers":{"bad name":"x"}}"#;
    let error = Gateway::detect(event)
        .unwrap()
        .request(event, StageInPath::Keep)
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("Tencent Cloud API Gateway trigger"),
        "{error}"
    );
    assert!(error.to_string().contains("`headers`"), "{error}");
}

#[test]
fn the_one_step_reading_agrees_with_detect_then_request_for_every_fixture() {
    use light_runtime_events::http::request_from_event;
    for name in [
        "apigw_rest.json",
        "apigw_http.json",
        "apigw_http_staged_base64.json",
        "alb.json",
        "alb_multi_value.json",
        "function_url.json",
        "fc_http_trigger.json",
        "scf_api_gateway.json",
    ] {
        let event = fixture(name);
        let gateway = Gateway::detect(&event).unwrap();
        let two_steps = gateway.request(&event, StageInPath::Keep).unwrap();
        let (one_step_gateway, one_step) = request_from_event(&event, StageInPath::Keep).unwrap();
        let one_step = one_step.unwrap();
        assert_eq!(one_step_gateway, gateway, "{name}");
        assert_eq!(one_step.uri(), two_steps.uri(), "{name}");
        assert_eq!(one_step.headers(), two_steps.headers(), "{name}");
        assert_eq!(one_step.body(), two_steps.body(), "{name}");
    }
    // AWS writes `version` first; the one-step reading takes that path for
    // an HTTP API event and leaves a function URL to detection.
    let v2 = br#"{"version":"2.0","rawPath":"/a","requestContext":{"domainName":"u.lambda-url.eu-west-1.on.aws","http":{"method":"GET"}},"isBase64Encoded":false}"#;
    assert_eq!(
        request_from_event(v2, StageInPath::Keep).unwrap().0,
        Gateway::FunctionUrl
    );
    assert!(request_from_event(
        br#"{"version":"2.0","name":"not a request"}"#,
        StageInPath::Keep
    )
    .is_none());
}
