//! Two functions in one binary; the deployment picks which one serves.
//!
//! Locally both are served at once, each under its name:
//! `cargo run --example shop`, then
//! `curl -d '{"id":7,"items":3}' localhost:9000/orders` and
//! `curl -d '{"id":42}' localhost:9000/users`.
//! `LIGHT_RUNTIME_HANDLER=users cargo run --example shop` serves `users`
//! alone, at every path. Deployed, the platform's handler setting picks
//! one (`_HANDLER=orders` on AWS Lambda, FC's handler, `FUNCTION_TARGET`);
//! see `docs/functions.md`.

use light_runtime::{Context, Error, Runtime};
use serde_json::{json, Value};

/// Prices an order.
async fn orders(order: Value, ctx: Context) -> Result<Value, Error> {
    let items = order["items"].as_u64().unwrap_or(0);
    Ok(json!({
        "order": order["id"],
        "total_cents": items * 250,
        "served_by": ctx.handler(),
    }))
}

/// Looks up a user.
async fn users(user: Value, ctx: Context) -> Result<Value, Error> {
    let Some(id) = user["id"].as_u64() else {
        return Err(Error::with_type("Users.NoId", "`id` must be a number"));
    };
    Ok(json!({ "user": id, "name": format!("user-{id}"), "served_by": ctx.handler() }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), light_runtime::RuntimeError> {
    Runtime::builder()
        .function("orders", orders)
        .function("users", users)
        .run()
        .await
}
