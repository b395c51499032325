//! FC's instance lifecycle requests (FC calls them lifecycle hooks,
//! reference 2.9): `/initialize`, `/pre-freeze`, `/pre-stop`, and
//! `FunctionStart` run once for them or for the first invocation.

use std::sync::PoisonError;

use http::{HeaderMap, HeaderValue, StatusCode};
use runtime_engine::InvocationError;

use super::headers;
use super::markers::{self, Framed};
use super::server::FcServer;
use crate::push_server::reply::{error_reply, text_reply, Reply};

/// Runs `FunctionStart` once; later calls get the first result. A failure
/// stops the server and becomes `run`'s error.
pub(crate) async fn ensure_started(fc: &FcServer) -> Result<(), String> {
    fc.started
        .get_or_init(|| async {
            match fc.lifecycle.function_start().await {
                Ok(()) => Ok(()),
                Err(error) => {
                    let message = error.to_string();
                    *fc.init_error.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
                    fc.stop.cancel();
                    Err(message)
                }
            }
        })
        .await
        .clone()
}

fn request_id(headers: &HeaderMap) -> &str {
    headers::get(headers, "x-fc-request-id").unwrap_or("-")
}

fn ok_reply() -> Reply {
    text_reply(StatusCode::OK, "")
}

/// `POST /initialize` → `FunctionStart`. A failure answers `500` so FC
/// restarts the instance (a `400`/`404` would make FC retry init in this
/// process, but `FunctionStart` hooks run at most once per process).
pub(crate) async fn initialize(fc: &FcServer, headers: &HeaderMap) -> Reply {
    let id = request_id(headers);
    markers::start(&mut std::io::stdout().lock(), Framed::Initialize, id);
    let result = ensure_started(fc).await;
    markers::end(
        &mut std::io::stdout().lock(),
        Framed::Initialize,
        id,
        result.is_err(),
    );
    match result {
        Ok(()) => ok_reply(),
        Err(message) => {
            let error = InvocationError::runtime("Runtime.InitError", message);
            let mut reply = error_reply(StatusCode::INTERNAL_SERVER_ERROR, &error, id);
            reply
                .headers_mut()
                .insert("x-fc-status", HeaderValue::from_static("404"));
            reply
        }
    }
}

/// `GET /pre-freeze` → pending `AfterResponse` work, then `Freeze`.
pub(crate) async fn pre_freeze(fc: &FcServer, headers: &HeaderMap) -> Reply {
    let id = request_id(headers);
    markers::start(&mut std::io::stdout().lock(), Framed::PreFreeze, id);
    let budgets = fc.lifecycle.budgets();
    if !fc.in_flight.wait_idle(budgets.after_response).await {
        tracing::warn!(
            "freezing with work still running after {} ms",
            budgets.after_response.as_millis()
        );
    }
    fc.lifecycle.freeze().await;
    markers::end(&mut std::io::stdout().lock(), Framed::PreFreeze, id, false);
    ok_reply()
}

/// `GET /pre-stop` → bodies still arriving are refused, in-flight work
/// finishes, `Close`, and the server stops once this answer is written; all
/// within the shutdown grace.
pub(crate) async fn pre_stop(fc: &FcServer, headers: &HeaderMap) -> Reply {
    let id = request_id(headers);
    markers::start(&mut std::io::stdout().lock(), Framed::PreStop, id);
    fc.grace.begin();
    if !fc.in_flight.wait_idle(fc.grace.drain_left()).await {
        tracing::warn!("closing with invocations still running (FC /pre-stop)");
    }
    fc.lifecycle.close().await;
    markers::end(&mut std::io::stdout().lock(), Framed::PreStop, id, false);
    fc.stop.cancel();
    ok_reply()
}
