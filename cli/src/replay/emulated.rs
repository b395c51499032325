//! The captured invocation under the platform's emulator, through the
//! `emulate` session API ([`Emulation`]): the bootstrap started as the
//! platform starts it, the event handed over with the captured context and
//! the same time left, its one outcome read back.

use std::ffi::OsString;
use std::time::Duration;

use light_runtime::layers::capture::Scene;

use super::verdict::Replayed;
use crate::emulate::{EmulatedPlatform, Emulation, EmulationSpec, InvokeOptions};

/// Runs `command` as `platform` and replays `scene` with `event`; prints
/// the function's log lines for the invocation.
pub(super) async fn replay(
    scene: &Scene,
    event: Vec<u8>,
    platform: EmulatedPlatform,
    command: &[OsString],
) -> Result<Replayed, String> {
    let context = &scene.context;
    let runtime = &scene.runtime;
    let mut spec = EmulationSpec::new(platform, command.to_vec());
    // Any free port: a replay must not collide with a running `emulate`.
    spec.port = 0;
    spec.print = false;
    if is_function_name(&runtime.function) {
        spec.function = runtime.function.clone();
    }
    if let Some(memory) = runtime.memory_mb {
        spec.memory_mb = memory;
    }
    if let Some(remaining) = context.remaining_ms {
        // The emulated timeout is the captured time left, so the function
        // meets its deadline where it met it in the cloud.
        spec.timeout = Duration::from_millis(remaining.max(1));
    }
    // The replay must not write captures of its own over the one it reads.
    spec.env
        .push(("LIGHT_RUNTIME_CAPTURE".into(), "off".into()));
    spec.env.push((
        "AWS_LAMBDA_FUNCTION_VERSION".into(),
        runtime.function_version.clone(),
    ));
    if let Some(region) = &runtime.region {
        spec.env.push(("AWS_REGION".into(), region.clone()));
    }
    if let Some(handler) = &runtime.handler {
        spec.env.push(("_HANDLER".into(), handler.clone()));
    }
    let emulation = Emulation::start(spec).await?;
    let mut options = InvokeOptions::default().request_id(context.request_id.clone());
    if let Some(remaining) = context.remaining_ms {
        options = options.deadline_in(Duration::from_millis(remaining));
    }
    options.trace_id = context.trace_header.clone();
    options.client_context = context.client_context.as_ref().map(ToString::to_string);
    options.cognito_identity = context.identity.as_ref().map(ToString::to_string);
    let outcome = emulation.invoke(event, options).await;
    emulation.shutdown().await;
    for line in &outcome.logs {
        println!("replay: log: {line}");
    }
    for breach in &outcome.breaches {
        println!("replay: breach of the platform's contract: {breach}");
    }
    Ok(match outcome.error {
        Some(error) => Replayed::Error {
            error_type: error.error_type,
            message: error.error_message,
        },
        None => Replayed::Response(outcome.body_text()),
    })
}

/// What the emulator accepts as a function's name.
fn is_function_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
