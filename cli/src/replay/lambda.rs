//! The captured invocation on the AWS Lambda emulator: the bootstrap
//! started as Lambda starts it, the event handed out with the captured
//! context and the same time left, and its one answer read back.

use std::ffi::OsString;
use std::time::Duration;

use light_runtime::layers::capture::Scene;
use light_runtime_emulators::lambda::{Event, InvocationResult, LambdaEmulator};

use super::verdict::Replayed;
use crate::child::ChildCommand;

/// How long past the captured deadline to wait for an answer; without a
/// deadline, how long to wait at all.
const GRACE: Duration = Duration::from_secs(10);
const NO_DEADLINE_WAIT: Duration = Duration::from_secs(60);

/// Runs `command` under the emulator and replays `scene` with `event`.
pub(super) async fn replay(
    scene: &Scene,
    event: Vec<u8>,
    command: &[OsString],
) -> Result<Replayed, String> {
    let context = &scene.context;
    let mut emulator = LambdaEmulator::builder();
    if let Some(arn) = &context.invoked_function_arn {
        emulator = emulator.function_arn(arn.clone());
    }
    let emulator = emulator
        .start()
        .await
        .map_err(|e| format!("cannot start the Lambda emulator on 127.0.0.1: {e}"))?;
    let runtime = &scene.runtime;
    let mut child = ChildCommand::new(command)?
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env("AWS_LAMBDA_FUNCTION_NAME", &runtime.function)
        .env("AWS_LAMBDA_FUNCTION_VERSION", &runtime.function_version)
        // The replay must not write captures of its own over the one it reads.
        .env("LIGHT_RUNTIME_CAPTURE", "off");
    if let Some(memory) = runtime.memory_mb {
        child = child.env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.to_string());
    }
    if let Some(region) = &runtime.region {
        child = child
            .env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region);
    }
    if let Some(handler) = &runtime.handler {
        child = child.env("_HANDLER", handler);
    }
    let child = child.spawn().map_err(|e| e.to_string())?;

    let mut invocation = Event::raw(event).request_id(context.request_id.clone());
    if let Some(remaining) = context.remaining_ms {
        invocation = invocation.deadline_in(Duration::from_millis(remaining));
    }
    if let Some(trace) = &context.trace_header {
        invocation = invocation.trace_id(trace.clone());
    }
    if let Some(client_context) = &context.client_context {
        invocation = invocation.client_context(client_context.to_string());
    }
    if let Some(identity) = &context.identity {
        invocation = invocation.cognito_identity(identity.to_string());
    }
    if let Some(tenant) = &context.tenant_id {
        invocation = invocation.tenant_id(tenant.clone());
    }
    let request_id = emulator.push(invocation);
    let wait = context
        .remaining_ms
        .map_or(NO_DEADLINE_WAIT, |ms| Duration::from_millis(ms) + GRACE);
    let outcome = tokio::select! {
        result = emulator.result(&request_id, wait) => match result {
            Some(result) => Ok(replayed(&result)),
            None => Err(match emulator.init_error() {
                Some(call) => format!(
                    "`{}` failed its init and never took the event: {}",
                    command_line(command),
                    call.body_json().map_or_else(String::new, |b| b.to_string())
                ),
                None => format!(
                    "`{}` did not answer within {} ms (the captured time left plus {} s)",
                    command_line(command),
                    wait.as_millis(),
                    GRACE.as_secs()
                ),
            }),
        },
        exit = child.exited() => Ok(Replayed::Error {
            error_type: "Runtime.ExitError".into(),
            message: format!("the bootstrap exited before answering ({exit:?})"),
        }),
    };
    child.stop(Duration::from_secs(2)).await;
    outcome
}

fn replayed(result: &InvocationResult) -> Replayed {
    if result.is_error() {
        Replayed::Error {
            error_type: result.error_type().unwrap_or("Runtime.Unknown").to_owned(),
            message: result.error_message().unwrap_or_default().to_owned(),
        }
    } else {
        Replayed::Response(
            result
                .response_body()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
        )
    }
}

fn command_line(command: &[OsString]) -> String {
    command
        .iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}
