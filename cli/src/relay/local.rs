//! [`LocalFunction`]: the developer's build run under the platform's
//! emulator (an [`Emulation`] session, as `light-runtime emulate` runs it),
//! taking the relayed invocations with the cloud's request id, deadline,
//! trace header and platform headers.

use std::ffi::OsString;
use std::time::Duration;

use bytes::Bytes;
use light_runtime::layers::relay::wire::{RelayedAnswer, RelayedInvocation};

use crate::emulate::{EmulatedPlatform, Emulation, EmulationSpec, InvokeOptions, Outcome};

/// The function timeout the session is given: the relayed deadline, not
/// this, bounds each invocation (Lambda's longest).
const SESSION_TIMEOUT: Duration = Duration::from_secs(900);

/// Headers the emulator sets itself for each invocation, so the cloud's are
/// not copied over them.
const OWN_HEADERS: &[&str] = &[
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "lambda-runtime-aws-request-id",
    "lambda-runtime-deadline-ms",
    "x-fc-request-id",
    "x-scf-request-id",
];

/// The local build under its emulator; see the module docs.
#[derive(Debug)]
pub struct LocalFunction {
    emulation: Emulation,
}

impl LocalFunction {
    /// Starts `bootstrap` as function `name` under `platform`'s emulator,
    /// its invoke endpoint on 127.0.0.1:`port` (0: any free port). The
    /// relay's variables are emptied for the bootstrap, so a local build
    /// never relays onward.
    pub async fn start(
        platform: EmulatedPlatform,
        name: &str,
        port: u16,
        bootstrap: Vec<OsString>,
    ) -> Result<Self, String> {
        let mut spec = EmulationSpec::new(platform, bootstrap);
        spec.function = name.to_owned();
        spec.port = port;
        spec.timeout = SESSION_TIMEOUT;
        for variable in [
            light_runtime::layers::relay::URL_VAR,
            light_runtime::layers::relay::SECRET_VAR,
        ] {
            spec.env.push((variable.to_owned(), String::new()));
        }
        let emulation = Emulation::start(spec).await?;
        Ok(LocalFunction { emulation })
    }

    /// The session's own invoke endpoint (`light-runtime invoke` reaches
    /// the local build there too).
    pub fn endpoint(&self) -> std::net::SocketAddr {
        self.emulation.endpoint()
    }

    /// Runs `invocation` on the local build, within its deadline.
    pub async fn invoke(&self, invocation: &RelayedInvocation) -> RelayedAnswer {
        let event = match invocation.event_bytes() {
            Ok(event) => Bytes::from(event),
            Err(why) => return RelayedAnswer::error("Relay.MalformedInvocation", why),
        };
        let mut options = InvokeOptions::default()
            .request_id(&invocation.request_id)
            .deadline_in(Duration::from_millis(invocation.deadline_ms));
        options.trace_id = invocation.trace_header.clone();
        for (name, value) in &invocation.platform_headers {
            if !OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                options = options.header(name, value);
            }
        }
        let outcome = match &invocation.http {
            Some(http) => {
                let mut request = http::Request::builder()
                    .method(http.method.as_str())
                    .uri(http.uri.as_str());
                for (name, value) in &http.headers {
                    request = request.header(name, value);
                }
                match request.body(event) {
                    Ok(request) => self.emulation.invoke_http(request, options).await,
                    Err(error) => {
                        return RelayedAnswer::error(
                            "Relay.MalformedInvocation",
                            format!("the relayed HTTP request is invalid: {error}"),
                        )
                    }
                }
            }
            None => self.emulation.invoke(event, options).await,
        };
        answer(outcome)
    }

    /// Stops the local build as the platform stops an instance.
    pub async fn stop(&self) {
        self.emulation.shutdown().await;
    }
}

/// The emulator's outcome as the relay's answer.
fn answer(outcome: Outcome) -> RelayedAnswer {
    if let Some(error) = outcome.error {
        return RelayedAnswer::error(error.error_type, error.error_message);
    }
    match outcome.http {
        None => RelayedAnswer::response(&outcome.body),
        Some(http) => {
            let mut response = http::Response::builder().status(http.status);
            for (name, value) in &http.headers {
                response = response.header(name, value);
            }
            match response.body(outcome.body) {
                Ok(response) => RelayedAnswer::http_response(&response),
                Err(error) => RelayedAnswer::error(
                    "Relay.LocalFailed",
                    format!("the local build's HTTP answer is invalid: {error}"),
                ),
            }
        }
    }
}
