//! The axum hello app ([`light_runtime_benches::axum_hello`]) as a plain
//! HTTP server on 127.0.0.1, the web app that `web-vs-adapter` puts behind
//! `light-runtime web` and behind AWS Lambda Web Adapter.
//!
//! The port is `--port N`, else `PORT`, else 8080 (the Web Adapter's
//! default).

use std::process::ExitCode;

fn port() -> Result<u16, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let text = match args.as_slice() {
        [] => std::env::var("PORT").unwrap_or_else(|_| "8080".to_owned()),
        [flag, value] if flag == "--port" => value.clone(),
        _ => return Err(format!("expected `--port N` or nothing, got {args:?}")),
    };
    text.parse()
        .map_err(|error| format!("port `{text}` is not a port number: {error}"))
}

async fn serve(port: u16) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|error| format!("cannot listen on 127.0.0.1:{port}: {error}"))?;
    axum::serve(listener, light_runtime_benches::axum_hello::app())
        .await
        .map_err(|error| format!("serving on 127.0.0.1:{port} failed: {error}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let served = match port() {
        Ok(port) => serve(port).await,
        Err(error) => Err(error),
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("axum-hello-server: {error}");
            ExitCode::FAILURE
        }
    }
}
