//! `light-runtime invoke`: one event sent to a running emulated or local
//! function (`docs/design/invoke-endpoint.md`: Lambda's Invoke API shape,
//! also served by `cargo lambda watch`), its answer printed: the response
//! on stdout; the error type and message, timings, contract breaches and
//! the log tail on stderr. Guide: `docs/invoke.md`.
//!
//! # Layout
//! - `mod.rs`: the options and [`run`].
//! - [`examples`]: the shipped example events (`--example KIND`).
//! - [`event_input`]: the event from `--data`, `--file` or `--example`,
//!   checked to be JSON.
//! - [`send`](mod@send): one request to the endpoint ([`send()`]).
//! - [`answer`]: [`Answer`], the reply read from the Invoke API's headers.

pub mod answer;
pub mod event_input;
pub mod examples;
pub mod send;

use std::path::PathBuf;
use std::time::Duration;

pub use answer::{Answer, FunctionError};
use event_input::EventSource;
pub use send::{send, InvokeRequest};

/// The `invoke` subcommand's options.
#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The invoke endpoint's port.
    #[arg(long, default_value_t = 9000)]
    pub port: u16,
    /// The invoke endpoint's host.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The function to invoke; `_` is the emulator's only function.
    #[arg(long, default_value = "_")]
    pub function: String,
    /// The event, as JSON.
    #[arg(long, group = "event")]
    pub data: Option<String>,
    /// A file holding the event.
    #[arg(long, value_name = "FILE", group = "event")]
    pub file: Option<PathBuf>,
    /// A shipped example event (see --list-examples).
    #[arg(long, value_name = "KIND", group = "event")]
    pub example: Option<String>,
    /// Lists the example events and exits.
    #[arg(long)]
    pub list_examples: bool,
    /// Sends an HTTP request to the function's URL instead of an event
    /// (`--http GET /orders?id=1`); --data or --file is its body.
    #[arg(long, num_args = 2, value_names = ["METHOD", "PATH"])]
    pub http: Option<Vec<String>>,
    /// A header for --http (`name: value`); repeat for several.
    #[arg(long = "header", value_name = "NAME: VALUE", requires = "http")]
    pub headers: Vec<String>,
    /// Prints the function's log lines for this invocation (the endpoint's
    /// `X-Amz-Log-Result`).
    #[arg(long)]
    pub tail: bool,
    /// How long to wait for the answer (`30s`, `15m`).
    #[arg(long, default_value = "15m", value_parser = crate::duration_arg::parse)]
    pub timeout: Duration,
}

/// Sends one event and prints the answer; `Err` (a non-zero exit) when the
/// event cannot be sent or the function failed.
pub fn run(args: InvokeArgs) -> Result<(), String> {
    if args.list_examples {
        print!("{}", examples::listing());
        return Ok(());
    }
    let request = request(&args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    let answer = runtime.block_on(send(request))?;
    report(&answer, args.tail, args.http.is_some())
}

/// The request `args` describe.
pub fn request(args: &InvokeArgs) -> Result<InvokeRequest, String> {
    let source = match (&args.data, &args.file, &args.example) {
        (Some(data), _, _) => EventSource::Data(data),
        (_, Some(file), _) => EventSource::File(file),
        (_, _, Some(kind)) => EventSource::Example(kind),
        _ if args.http.is_some() => EventSource::Data(""),
        _ => EventSource::Empty,
    };
    let function = &args.function;
    let mut headers = Vec::new();
    if args.tail {
        headers.push(("X-Amz-Log-Type".to_owned(), "Tail".to_owned()));
    }
    let (method, path, body) = match &args.http {
        Some(http) => {
            let method = http::Method::from_bytes(http[0].as_bytes())
                .map_err(|_| format!("`{}` is not an HTTP method (--http METHOD PATH)", http[0]))?;
            let path = &http[1];
            if !path.starts_with('/') {
                return Err(format!(
                    "the --http path `{path}` must start with `/` (--http GET /orders)"
                ));
            }
            for header in &args.headers {
                let (name, value) = header
                    .split_once(':')
                    .ok_or_else(|| format!("--header `{header}` is not `name: value`"))?;
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            let body = event_input::read(source, false)?;
            (method, format!("/lambda-url/{function}{path}"), body)
        }
        None => {
            let body = event_input::read(source, true)?;
            let path = format!("/2015-03-31/functions/{function}/invocations");
            (http::Method::POST, path, body)
        }
    };
    Ok(InvokeRequest {
        host: args.host.clone(),
        port: args.port,
        method,
        path,
        body,
        headers,
        timeout: args.timeout,
    })
}

/// Prints `answer`: the response on stdout, the rest on stderr; `Err` when
/// the function failed or the endpoint refused the request.
fn report(answer: &Answer, tail: bool, http: bool) -> Result<(), String> {
    let mut note = Vec::new();
    if let Some(id) = &answer.request_id {
        note.push(format!("request {id}"));
    }
    note.extend(answer.timings_line());
    if !note.is_empty() {
        eprintln!("{}", note.join(" · "));
    }
    for breach in &answer.breaches {
        eprintln!("contract breach: {breach}");
    }
    if tail {
        match &answer.log_tail {
            Some(lines) => eprint!("--- log tail ---\n{lines}{}", newline_unless(lines)),
            None => eprintln!("--- no log tail: the endpoint sent no X-Amz-Log-Result ---"),
        }
    }
    if let Some(error) = &answer.function_error {
        return Err(format!(
            "the function failed: {}: {}",
            error.error_type, error.message
        ));
    }
    let body = String::from_utf8_lossy(&answer.body);
    if http {
        // An HTTP function's own 4xx or 5xx is its answer, not a failure.
        eprintln!("HTTP {}", answer.status);
    } else if !answer.status.is_success() {
        // The endpoint refused the event (no such function, too large).
        return Err(format!(
            "the invoke endpoint answered {}: {}",
            answer.status,
            body.trim()
        ));
    }
    print!("{body}{}", newline_unless(&body));
    Ok(())
}

fn newline_unless(text: &str) -> &'static str {
    if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    }
}
