//! A typed function: `{"name": "Ada"}` in, a greeting out.
//!
//! `cargo run --example hello`, then `curl -d '{"name":"Ada"}' localhost:9000`;
//! `curl -d '{"nam":1}' localhost:9000` shows a malformed-event error.

use light_runtime::{Context, Error, Runtime};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Request {
    name: String,
}

#[derive(Serialize)]
struct Greeting {
    message: String,
    request_id: String,
    cold_start: bool,
}

async fn hello(request: Request, ctx: Context) -> Result<Greeting, Error> {
    if request.name.is_empty() {
        return Err(Error::with_type(
            "Hello.EmptyName",
            "`name` must not be empty",
        ));
    }
    Ok(Greeting {
        message: format!("hello, {}", request.name),
        request_id: ctx.request_id().to_owned(),
        cold_start: ctx.is_cold_start(),
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), light_runtime::RuntimeError> {
    Runtime::builder()
        .on_function_start(|| async {
            eprintln!("warming up: this runs once, before the first event");
            Ok::<_, Error>(())
        })
        .run(hello)
        .await
}
