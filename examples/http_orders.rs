//! An axum app as a function: path parameters, JSON in and out, a cookie,
//! a 404 and a 201. The `Router` goes to `light_runtime::run` as it is; the
//! same binary serves API Gateway, ALB, function URLs, FC and SCF.
//!
//! ```text
//! LIGHT_RUNTIME_PLATFORM=http PORT=9000 cargo run --example http_orders
//! curl -i localhost:9000/orders/7 -H 'cookie: session=abc'
//! curl -i localhost:9000/orders/0
//! curl -i localhost:9000/orders -H 'content-type: application/json' -d '{"item":"book"}'
//! ```
//!
//! Without `LIGHT_RUNTIME_PLATFORM=http` it runs on the local development
//! server, which takes `POST`ed events: post an API Gateway event to see
//! the gateway's response JSON.

use axum::extract::{Extension, Path};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use light_runtime::events::http::RequestContext;
use serde_json::{json, Value};

async fn order(Path(id): Path<u32>, headers: HeaderMap) -> Response {
    if id == 0 {
        return (StatusCode::NOT_FOUND, "no such order\n").into_response();
    }
    let session = headers
        .get(header::COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|cookies| {
            cookies
                .split(';')
                .find_map(|c| c.trim().strip_prefix("session="))
        })
        .map(str::to_owned);
    Json(json!({ "id": id, "session": session })).into_response()
}

/// A gateway's request context is there when the request came as a
/// gateway's event; plain HTTP has none.
async fn create(
    gateway: Option<Extension<RequestContext>>,
    Json(order): Json<Value>,
) -> impl IntoResponse {
    let caller = gateway.and_then(|Extension(context)| context.source_ip);
    (
        StatusCode::CREATED,
        [
            (header::LOCATION, "/orders/8"),
            (header::SET_COOKIE, "session=s8; Path=/; HttpOnly"),
        ],
        Json(json!({ "id": 8, "order": order, "caller": caller })),
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), light_runtime::RuntimeError> {
    let app = Router::new()
        .route("/orders/{id}", get(order))
        .route("/orders", post(create));
    light_runtime::run(app).await
}
