//! [`LocalFunction`]: the developer's build, run under the platform's
//! emulator, taking the relayed invocations one by one: the bootstrap is
//! started once (its init is the relay's first cold start) and restarted
//! if it exits.

use std::ffi::OsString;
use std::time::Duration;

use light_runtime::layers::relay::wire::{RelayedAnswer, RelayedInvocation};
use light_runtime_emulators::aliyun_fc::FcEmulator;
use light_runtime_emulators::{Event, InvocationResult, LambdaEmulator};
use tokio::sync::Mutex;

use crate::child::{Child, ChildCommand};

/// How long the bootstrap has to open FC's port.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The platforms the relay can run a local build under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RelayPlatform {
    /// AWS Lambda's Runtime API.
    Aws,
    /// Alibaba Cloud FC's custom runtime (the function serves HTTP).
    Fc,
}

enum Emulator {
    Aws(LambdaEmulator),
    Fc(FcEmulator),
}

/// The local build under its emulator; see the module docs.
pub struct LocalFunction {
    emulator: Emulator,
    command: ChildCommand,
    child: Mutex<Option<Child>>,
}

impl std::fmt::Debug for LocalFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFunction")
            .field("command", &self.command.display())
            .finish_non_exhaustive()
    }
}

impl LocalFunction {
    /// Starts `platform`'s emulator and `bootstrap` under it, as function
    /// `name`. The relay's own variables are taken from the bootstrap, so a
    /// local build never relays onward.
    pub async fn start(
        platform: RelayPlatform,
        name: &str,
        bootstrap: &[OsString],
    ) -> Result<Self, String> {
        let command = ChildCommand::new(bootstrap)?
            .env_remove("LIGHT_RUNTIME_RELAY")
            .env_remove("LIGHT_RUNTIME_RELAY_SECRET")
            .env_remove("LIGHT_RUNTIME_RELAY_FALLBACK");
        let (emulator, command) = match platform {
            RelayPlatform::Aws => {
                let emulator = LambdaEmulator::builder()
                    .start()
                    .await
                    .map_err(|error| format!("cannot start the Lambda emulator: {error}"))?;
                let command = command
                    .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
                    .env("AWS_LAMBDA_FUNCTION_NAME", name)
                    .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                    .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                    .env("AWS_REGION", "us-east-1");
                (Emulator::Aws(emulator), command)
            }
            RelayPlatform::Fc => {
                let emulator = FcEmulator::builder()
                    .function_name(name)
                    .start()
                    .map_err(|error| format!("cannot start the FC emulator: {error}"))?;
                let command = emulator
                    .env()
                    .into_iter()
                    .fold(command, |command, (key, value)| command.env(key, value))
                    .env("FC_FUNCTION_NAME", name);
                (Emulator::Fc(emulator), command)
            }
        };
        let local = LocalFunction {
            emulator,
            command,
            child: Mutex::new(None),
        };
        local.ensure_running().await?;
        Ok(local)
    }

    /// The bootstrap's command line.
    pub fn command(&self) -> String {
        self.command.display()
    }

    async fn ensure_running(&self) -> Result<(), String> {
        let mut child = self.child.lock().await;
        if child.as_ref().is_some_and(|child| child.exit().is_none()) {
            return Ok(());
        }
        if let Some(exit) = child.as_ref().and_then(Child::exit) {
            eprintln!("relay: the local build exited ({exit:?}); starting it again");
        }
        let started = self.command.spawn().map_err(|error| error.to_string())?;
        if let Emulator::Fc(fc) = &self.emulator {
            if !fc.wait_ready(READY_TIMEOUT).await {
                return Err(format!(
                    "the local build did not open FC's port {} within {} s",
                    fc.port(),
                    READY_TIMEOUT.as_secs()
                ));
            }
            // FC calls the Initializer once per instance before invoking.
            match fc.initialize().await {
                Ok(reply) if reply.status == 200 => {}
                Ok(reply) => {
                    return Err(format!(
                        "the local build's /initialize answered {}: {}",
                        reply.status,
                        String::from_utf8_lossy(&reply.body)
                    ))
                }
                Err(error) => return Err(format!("the local build's /initialize failed: {error}")),
            }
        }
        *child = Some(started);
        Ok(())
    }

    /// Runs `invocation` on the local build, within its deadline.
    pub async fn invoke(&self, invocation: &RelayedInvocation) -> RelayedAnswer {
        if let Err(why) = self.ensure_running().await {
            return RelayedAnswer::error("Relay.LocalStart", why);
        }
        let event = match invocation.event_bytes() {
            Ok(event) => event,
            Err(why) => return RelayedAnswer::error("Relay.MalformedInvocation", why),
        };
        let deadline = Duration::from_millis(invocation.deadline_ms);
        match &self.emulator {
            Emulator::Aws(lambda) => {
                let mut pushed = Event::raw(event)
                    .request_id(&invocation.request_id)
                    .deadline_in(deadline);
                if let Some(trace) = &invocation.trace_header {
                    pushed = pushed.trace_id(trace);
                }
                let id = lambda.push(pushed);
                match lambda.result(&id, deadline).await {
                    Some(InvocationResult::Response { body, .. }) => RelayedAnswer::response(&body),
                    Some(result) => RelayedAnswer::error(
                        result.error_type().unwrap_or("Unhandled"),
                        result.error_message().unwrap_or_default(),
                    ),
                    None => RelayedAnswer::error(
                        "Relay.LocalTimeout",
                        format!("the local build did not answer within {} ms", deadline.as_millis()),
                    ),
                }
            }
            Emulator::Fc(fc) => {
                let sent = match &invocation.http {
                    Some(http) => {
                        let mut request = http::Request::builder()
                            .method(http.method.as_str())
                            .uri(http.uri.as_str());
                        for (name, value) in &http.headers {
                            request = request.header(name, value);
                        }
                        // Copied over FC's own headers by `http_invoke`,
                        // so the local build sees the cloud's request id.
                        let request = request
                            .header("x-fc-request-id", &invocation.request_id)
                            .body(bytes::Bytes::from(event));
                        match request {
                            Ok(request) => tokio::time::timeout(deadline, fc.http_invoke(request))
                                .await
                                .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into())),
                            Err(error) => {
                                return RelayedAnswer::error("Relay.MalformedInvocation", error.to_string())
                            }
                        }
                    }
                    None => {
                        let request = fc
                            .event(event)
                            .header("x-fc-request-id", &invocation.request_id)
                            .timeout(deadline);
                        fc.send(request).await
                    }
                };
                match sent {
                    Err(error) => RelayedAnswer::error(
                        "Relay.LocalFailed",
                        format!("the local build gave no answer: {error}"),
                    ),
                    Ok(reply) if reply.header("x-fc-status") == Some("404") => {
                        let json = reply.body_json().unwrap_or_default();
                        RelayedAnswer::error(
                            json["errorType"].as_str().unwrap_or("Unhandled"),
                            json["errorMessage"]
                                .as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| String::from_utf8_lossy(&reply.body).into_owned()),
                        )
                    }
                    Ok(reply) if invocation.http.is_some() => {
                        let mut response = http::Response::builder().status(reply.status);
                        for (name, value) in &reply.headers {
                            if !name.starts_with("x-fc-") {
                                response = response.header(name, value);
                            }
                        }
                        match response.body(reply.body) {
                            Ok(response) => RelayedAnswer::http_response(&response),
                            Err(error) => RelayedAnswer::error("Relay.LocalFailed", error.to_string()),
                        }
                    }
                    Ok(reply) => RelayedAnswer::response(&reply.body),
                }
            }
        }
    }

    /// Stops the bootstrap with a grace period.
    pub async fn stop(&self) {
        if let Some(child) = self.child.lock().await.take() {
            child.stop(Duration::from_secs(2)).await;
        }
    }
}
