//! The Extensions API (`/2020-01-01/extension/...`): register, event/next
//! (SHUTDOWN only) and the two error posts.

use http::{HeaderValue, StatusCode};

use super::call::{finish, json_reply, Call, Refusal, Reply};
use super::event::fresh_id;
use super::runtime::accepted;
use super::state::{EmulatorState, Extension, State};

/// The most extensions Lambda accepts (Doc; RIE `MaxAgentsAllowed`).
const MAX_EXTENSIONS: usize = 10;

/// The event types an extension may subscribe to.
const EVENT_TYPES: [&str; 2] = ["INVOKE", "SHUTDOWN"];

/// `POST /extension/register`.
pub(crate) fn register(shared: &EmulatorState, call: Call) -> Reply {
    let mut state = shared.lock();
    let reply = match check_registration(&state, &call) {
        Err(refusal) => refusal.reply(),
        Ok(extension) => {
            let mut body = serde_json::json!({
                "functionName": shared.function_name,
                "functionVersion": "$LATEST",
                "handler": "bootstrap",
            });
            let wants_account = call
                .header("lambda-extension-accept-feature")
                .is_some_and(|features| features.split(',').any(|f| f.trim() == "accountId"));
            if wants_account {
                body["accountId"] = shared.account_id().into();
            }
            let mut reply = json_reply(StatusCode::OK, body.to_string());
            let identifier = HeaderValue::from_str(&extension.identifier)
                .expect("fresh ids are valid header values");
            reply
                .headers_mut()
                .insert("lambda-extension-identifier", identifier);
            state.extensions.push(extension);
            reply
        }
    };
    shared.record(&mut state, call.record(reply.status().as_u16()));
    reply
}

/// The extension `call` registers, or why it may not.
fn check_registration(state: &State, call: &Call) -> Result<Extension, Refusal> {
    let forbidden =
        |error_type, message: String| Refusal::new(StatusCode::FORBIDDEN, error_type, message);
    let name = call
        .header("lambda-extension-name")
        .filter(|name| !name.is_empty())
        .ok_or_else(|| {
            let message = "the Lambda-Extension-Name header is required".to_owned();
            forbidden("Extension.InvalidExtensionName", message)
        })?;
    if state.refuse_extensions || state.runtime_next_seen {
        let message = format!("extension `{name}` cannot register: registration is closed");
        return Err(forbidden("Extension.RegistrationClosed", message));
    }
    let events = parse_events(&call.body)?;
    if state.extensions.len() >= MAX_EXTENSIONS {
        let message = format!("extension `{name}` cannot register: at most {MAX_EXTENSIONS} may");
        return Err(forbidden("Extension.TooManyExtensions", message));
    }
    Ok(Extension {
        name: name.to_owned(),
        identifier: fresh_id(),
        events,
    })
}

/// The `events` list of a register body; an empty body subscribes to nothing.
/// The `InvalidRequestFormat` error type for a malformed body is unconfirmed
/// (not in the reference); the other error types are RIE's.
fn parse_events(body: &[u8]) -> Result<Vec<String>, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let invalid =
        |message: String| Refusal::new(StatusCode::FORBIDDEN, "InvalidRequestFormat", message);
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| invalid(format!("the register body is not JSON: {error}")))?;
    let Some(list) = value.get("events") else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| invalid("`events` must be a list of event types".to_owned()))?;
    list.iter()
        .map(|event| match event.as_str() {
            Some(event) if EVENT_TYPES.contains(&event) => Ok(event.to_owned()),
            _ => {
                let message = format!("unknown event type {event}; use INVOKE or SHUTDOWN");
                Err(Refusal::new(
                    StatusCode::FORBIDDEN,
                    "Extension.InvalidEventType",
                    message,
                ))
            }
        })
        .collect()
}

/// `GET /extension/event/next`: the SHUTDOWN event once `shutdown` is called,
/// to extensions that subscribed to it; others wait forever, like real
/// extensions between invocations. INVOKE events are not emulated.
pub(crate) async fn next(shared: &EmulatorState, call: Call) -> Reply {
    let subscribed = match known_extension(shared, &call) {
        Ok(extension) => extension.events.iter().any(|e| e == "SHUTDOWN"),
        Err(refusal) => return finish(shared, call, refusal.reply()),
    };
    if !subscribed {
        std::future::pending::<()>().await;
    }
    let mut shutdown = shared.shutdown.subscribe();
    let event = shutdown
        .wait_for(Option::is_some)
        .await
        .ok()
        .and_then(|event| event.clone());
    // `None` only if the emulator itself is gone: nothing will ever come.
    let Some(event) = event else {
        return std::future::pending().await;
    };
    let mut reply = json_reply(StatusCode::OK, event.to_string());
    let event_id = HeaderValue::from_str(&fresh_id()).expect("fresh ids are valid header values");
    reply
        .headers_mut()
        .insert("lambda-extension-event-identifier", event_id);
    finish(shared, call, reply)
}

/// `POST /extension/init/error` and `/extension/exit/error`: recorded, `202`.
pub(crate) fn error(shared: &EmulatorState, call: Call) -> Reply {
    let reply = match known_extension(shared, &call) {
        Ok(_) => accepted(),
        Err(refusal) => refusal.reply(),
    };
    finish(shared, call, reply)
}

/// The registered extension named by `Lambda-Extension-Identifier`. The
/// `Extension.UnknownExtensionIdentifier` error type is unconfirmed.
fn known_extension(shared: &EmulatorState, call: &Call) -> Result<Extension, Refusal> {
    let Some(identifier) = call.header("lambda-extension-identifier") else {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "Extension.MissingExtensionIdentifier",
            "the Lambda-Extension-Identifier header is required",
        ));
    };
    let state = shared.lock();
    let found = state.extensions.iter().find(|e| e.identifier == identifier);
    found.cloned().ok_or_else(|| {
        let message = format!("no extension registered as `{identifier}`");
        Refusal::new(
            StatusCode::FORBIDDEN,
            "Extension.UnknownExtensionIdentifier",
            message,
        )
    })
}
