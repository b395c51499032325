//! Tencent SCF web functions: an HTTP server on port 9000 (moved for tests).

use light_runtime_testkit::http_platform::HttpPlatform;

use crate::http::{Flavor, Http};

pub(crate) struct ScfWeb;

impl Flavor for ScfWeb {
    fn platform() -> HttpPlatform {
        HttpPlatform::scf_web().unwrap()
    }
}

crate::conformance!(Http<ScfWeb>, concurrent);

#[tokio::test]
async fn the_request_id_comes_from_x_scf_request_id() {
    use crate::harness::{Start, Target};
    let target = Http::<ScfWeb>::start(Start::default()).await;
    let request = light_runtime_testkit::http_platform::request(
        http::Method::POST,
        "/",
        &[("x-scf-request-id", "scf-web-req-1")],
        bytes::Bytes::from(serde_json::json!({"do": "context"}).to_string()),
    );
    let seen = target
        .platform
        .send(request)
        .await
        .unwrap()
        .body_json()
        .unwrap();
    assert_eq!(seen["request_id"], "scf-web-req-1");
    assert_eq!(seen["platform"], "scf");
    assert_eq!(seen["function_name"], "orders");
    target.stop().await.unwrap();
}
