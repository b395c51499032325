//! The internal extension that makes Lambda send SIGTERM before shutdown.
//!
//! Lambda only signals a runtime that has at least one extension; without
//! one the process is killed outright and `Close`/`End` never run. So the
//! runtime registers a no-op internal extension (no events: internal
//! extensions may not subscribe to SHUTDOWN) and parks its `event/next`,
//! which init requires every extension to call.
//!
//! Registration is bounded by the call time limit and gives way to
//! shutdown: a stalled Extensions API costs graceful shutdown, never init.

use super::address::RuntimeApiAddress;
use std::time::Duration;

use light_runtime_http_client::Connection;
use runtime_engine::CancellationToken;

use crate::pull_loop::unless_shut_down;

const NAME: &str = "light-runtime-shutdown";

/// Registers the extension, within `timeout` and unless `shutdown` fires
/// first. On refusal, error or timeout, logs why and returns `false`: the
/// runtime goes on, only without graceful shutdown.
pub(crate) async fn register(
    endpoint: &RuntimeApiAddress,
    timeout: Duration,
    shutdown: &CancellationToken,
) -> bool {
    let attempt = tokio::time::timeout(timeout, register_within(endpoint.clone()));
    match unless_shut_down(shutdown, attempt).await {
        Some(Ok(registered)) => registered,
        Some(Err(_)) => {
            refused(format!("no answer within {timeout:?}"));
            false
        }
        None => false,
    }
}

fn refused(reason: String) -> bool {
    crate::pull_loop::platform_warning(&format!(
        "the Lambda Extensions API refused extension `{NAME}` ({reason}); \
         SIGTERM will not be delivered, so Close and End hooks will not run at shutdown"
    ));
    false
}

async fn register_within(endpoint: RuntimeApiAddress) -> bool {
    let mut connection = match Connection::connect(&endpoint.authority).await {
        Ok(connection) => connection,
        Err(error) => return refused(error.to_string()),
    };
    let response = match connection
        .request(
            "POST",
            &[&endpoint.base, "/2020-01-01/extension/register"],
            &[
                ("Lambda-Extension-Name", NAME),
                ("Content-Type", "application/json"),
            ],
            br#"{"events":[]}"#,
        )
        .await
    {
        Ok(response) => response,
        Err(error) => return refused(error.to_string()),
    };
    if response.status != 200 {
        return refused(format!(
            "status {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        ));
    }
    let Some(identifier) = response
        .headers()
        .find(|(name, _)| name.eq_ignore_ascii_case(b"lambda-extension-identifier"))
        .and_then(|(_, value)| std::str::from_utf8(value).ok())
        .map(str::to_owned)
    else {
        return refused("no Lambda-Extension-Identifier in the answer".into());
    };
    // Park the extension's `next`; it never returns for an internal
    // extension without events, and is dropped at exit.
    tokio::spawn(async move {
        let _ = connection
            .request(
                "GET",
                &[&endpoint.base, "/2020-01-01/extension/event/next"],
                &[("Lambda-Extension-Identifier", &identifier)],
                b"",
            )
            .await;
    });
    true
}
