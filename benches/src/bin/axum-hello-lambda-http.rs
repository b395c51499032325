//! The reference: the same axum hello app on AWS's `lambda_http` 1.x, as
//! its documentation runs an axum app (`lambda_http::run(app)`), on a
//! current-thread runtime like `axum-hello`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(light_runtime_benches::axum_hello::app()).await
}
