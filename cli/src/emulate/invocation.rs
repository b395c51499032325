//! One invocation on an instance, the way its platform delivers it: queued
//! for the bootstrap's `next` (AWS, SCF) or sent to its server (FC, SCF
//! web, HTTP), bounded by the deadline and by the process's life, and read
//! back as an [`Answer`].

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request};
use light_runtime_emulators::caller::Reply;
use light_runtime_emulators::tencent_scf::{ScfEvent, ScfResult};
use light_runtime_emulators::{Event, InvocationResult};

use super::breach::{self, Breach, BreachKind};
use super::instance::{lock, Instance, Wire, NEXT_WAIT};
use super::outcome::{FunctionError, HttpAnswer, InvokeOptions};
use super::spec::EmulatedPlatform;
use crate::child::Exit;

/// What reaches the function.
#[derive(Debug)]
pub(crate) enum Trigger {
    /// An event (the Invoke API's payload).
    Event(Bytes),
    /// An HTTP request (a Function URL, FC HTTP trigger, a web request).
    Http(Box<Request<Bytes>>),
}

/// How the platform saw the invocation end.
#[derive(Debug, Default)]
pub(crate) struct Answer {
    pub(crate) body: Bytes,
    pub(crate) error: Option<FunctionError>,
    pub(crate) http: Option<HttpAnswer>,
    pub(crate) breaches: Vec<Breach>,
    /// The instance must be reset (killed): a timeout or a crash.
    pub(crate) reset: bool,
    /// Event handed over to answer received.
    pub(crate) invoke: Duration,
}

impl Answer {
    /// The function's error as its error document says: `errorType` and
    /// `errorMessage`, else `default_type` and `default_message`. The body
    /// is the document as posted (`raw`, when given) if it is a JSON
    /// object, else one made of the type and message.
    fn function_error(
        document: serde_json::Value,
        raw: Option<Bytes>,
        default_type: &str,
        default_message: String,
    ) -> Self {
        let error_type = document["errorType"]
            .as_str()
            .unwrap_or(default_type)
            .to_owned();
        let error_message = document["errorMessage"]
            .as_str()
            .map_or(default_message, str::to_owned);
        let body = match raw {
            Some(raw) if document.is_object() => raw,
            _ if document.is_object() => Bytes::from(document.to_string()),
            _ => Bytes::from(
                serde_json::json!({"errorType": error_type, "errorMessage": error_message})
                    .to_string(),
            ),
        };
        Answer {
            body,
            error: Some(FunctionError {
                error_type,
                error_message,
            }),
            ..Answer::default()
        }
    }

    fn ok(body: Bytes) -> Self {
        Answer {
            body,
            ..Answer::default()
        }
    }

    fn error(error_type: &str, message: String) -> Self {
        let body = serde_json::json!({"errorType": error_type, "errorMessage": message});
        Answer {
            body: Bytes::from(body.to_string()),
            error: Some(FunctionError {
                error_type: error_type.to_owned(),
                error_message: message,
            }),
            ..Answer::default()
        }
    }

    fn timed_out(request_id: &str, deadline: Duration) -> Self {
        let mut answer = Answer::error(
            "Sandbox.Timedout",
            format!(
                "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                deadline.as_secs_f64()
            ),
        );
        answer.reset = true;
        answer
    }

    fn exited(request_id: &str, exit: Exit) -> Self {
        let mut answer = Answer::error(
            "Runtime.ExitError",
            format!("RequestId: {request_id} Error: Runtime exited with error: {exit}"),
        );
        answer.reset = true;
        answer
    }
}

/// What ended the wait for an answer.
enum Waited<T> {
    Answer(T),
    TimedOut,
    Exited(Exit),
}

impl Instance {
    /// Runs invocation `request_id` of `trigger` with `deadline` left.
    pub(crate) async fn invoke(
        &self,
        request_id: &str,
        trigger: Trigger,
        options: &InvokeOptions,
        deadline: Duration,
    ) -> Answer {
        let started = Instant::now();
        let mut answer = match (&self.wire, trigger) {
            (Wire::Aws(_), Trigger::Http(_)) | (Wire::Scf(_), Trigger::Http(_)) => {
                // The endpoint turns HTTP into events for pull platforms.
                Answer::error(
                    "Emulator.Unsupported",
                    format!("{} takes events, not HTTP requests", self.platform),
                )
            }
            (Wire::Aws(_), Trigger::Event(body)) => {
                self.invoke_aws(request_id, body, options, deadline).await
            }
            (Wire::Scf(_), Trigger::Event(body)) => {
                self.invoke_scf(request_id, body, options, deadline).await
            }
            (Wire::Fc(emulator), Trigger::Event(body)) => {
                let request = emulator
                    .event(body)
                    .header("x-fc-request-id", request_id)
                    .into_http();
                let reply = self.send(request, options, deadline).await;
                self.fc_answer(request_id, reply, deadline, false)
            }
            (Wire::Fc(emulator), Trigger::Http(request)) => {
                let (parts, body) = request.into_parts();
                let path = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned();
                let mut ours = emulator
                    .request(parts.method, &path, "/http-invoke", body)
                    .header("x-fc-request-id", request_id)
                    .into_http();
                for (name, value) in &parts.headers {
                    // The platform's own headers win over a caller's.
                    if !name.as_str().starts_with("x-fc-") {
                        ours.headers_mut().append(name.clone(), value.clone());
                    }
                }
                let reply = self.send(ours, options, deadline).await;
                self.fc_answer(request_id, reply, deadline, true)
            }
            (Wire::Http(_), Trigger::Event(body)) => {
                let mut request = Request::new(body);
                *request.method_mut() = Method::POST;
                *request.uri_mut() = http::Uri::from_static("/");
                request.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                self.add_request_id(&mut request, request_id);
                let reply = self.send(request, options, deadline).await;
                http_answer(request_id, reply, deadline, false)
            }
            (Wire::Http(_), Trigger::Http(request)) => {
                let mut request = *request;
                self.add_request_id(&mut request, request_id);
                let reply = self.send(request, options, deadline).await;
                http_answer(request_id, reply, deadline, true)
            }
        };
        answer.invoke = started.elapsed();
        answer
    }

    /// SCF web: `X-Scf-Request-Id` (request side unconfirmed, reference 3.7).
    fn add_request_id(&self, request: &mut Request<Bytes>, request_id: &str) {
        if self.platform == EmulatedPlatform::ScfWeb {
            if let Ok(value) = HeaderValue::from_str(request_id) {
                request.headers_mut().insert("x-scf-request-id", value);
            }
        }
    }

    async fn invoke_aws(
        &self,
        request_id: &str,
        body: Bytes,
        options: &InvokeOptions,
        deadline: Duration,
    ) -> Answer {
        let Wire::Aws(emulator) = &self.wire else {
            unreachable!("invoke_aws on an AWS instance only")
        };
        let mut event = Event::raw(body)
            .request_id(request_id)
            .deadline_in(deadline);
        if let Some(trace_id) = &options.trace_id {
            event = event.trace_id(trace_id.clone());
        }
        if let Some(context) = &options.client_context {
            event = event.client_context(context.clone());
        }
        if let Some(identity) = &options.cognito_identity {
            event = event.cognito_identity(identity.clone());
        }
        for (name, value) in &options.headers {
            event = event.header(name.clone(), value.clone());
        }
        emulator.push(event);
        let waited = self
            .wait(emulator.result(request_id, deadline), || {
                emulator.result(request_id, Duration::ZERO)
            })
            .await;
        let mut answer = match waited {
            Waited::Answer(InvocationResult::Response { body, .. }) => Answer::ok(body),
            Waited::Answer(InvocationResult::Error {
                error_type_header,
                body,
            }) => {
                let default_type = error_type_header.as_deref().unwrap_or("Unhandled");
                Answer::function_error(body, None, default_type, String::new())
            }
            Waited::TimedOut => Answer::timed_out(request_id, deadline),
            Waited::Exited(exit) => Answer::exited(request_id, exit),
        };
        if !answer.reset {
            self.await_next(emulator.wait_next_waiting(1, NEXT_WAIT), &mut answer)
                .await;
        }
        let calls = emulator.calls();
        let mut scanned = lock(&self.scanned);
        let from = (*scanned).min(calls.len());
        answer
            .breaches
            .extend(breach::in_lambda_calls(&calls[from..], request_id));
        *scanned = calls.len();
        answer
    }

    async fn invoke_scf(
        &self,
        request_id: &str,
        body: Bytes,
        options: &InvokeOptions,
        deadline: Duration,
    ) -> Answer {
        let Wire::Scf(emulator) = &self.wire else {
            unreachable!("invoke_scf on an SCF instance only")
        };
        let mut event = ScfEvent::raw(body)
            .request_id(request_id)
            .header("time_limit_in_ms", deadline.as_millis().to_string());
        for (name, value) in &options.headers {
            event = event.header(name.clone(), value.clone());
        }
        emulator.push(event);
        let waited = self
            .wait(emulator.result(request_id, deadline), || {
                emulator.result(request_id, Duration::ZERO)
            })
            .await;
        let mut answer = match waited {
            Waited::Answer(ScfResult::Response { body }) => Answer::ok(body),
            Waited::Answer(ScfResult::Error { body }) => {
                let document = serde_json::from_slice(&body).unwrap_or_default();
                let text = String::from_utf8_lossy(&body).into_owned();
                Answer::function_error(document, Some(body), "UserCodeException", text)
            }
            Waited::TimedOut => Answer::timed_out(request_id, deadline),
            Waited::Exited(exit) => Answer::exited(request_id, exit),
        };
        if !answer.reset {
            self.await_next(emulator.wait_next_waiting(NEXT_WAIT), &mut answer)
                .await;
        }
        let calls = emulator.calls();
        let mut scanned = lock(&self.scanned);
        let from = (*scanned).min(calls.len());
        answer.breaches.extend(breach::in_scf_calls(
            &calls[from..],
            request_id,
            emulator.answers_for(request_id),
        ));
        *scanned = calls.len();
        answer
    }

    /// Waits for `answer` up to `deadline` or the process's exit; an
    /// answer posted just before the exit still counts (`posted`).
    async fn wait<T, Posted: Future<Output = Option<T>>>(
        &self,
        answer: impl Future<Output = Option<T>>,
        posted: impl FnOnce() -> Posted,
    ) -> Waited<T> {
        tokio::select! {
            answer = answer => match answer {
                Some(answer) => Waited::Answer(answer),
                None => Waited::TimedOut,
            },
            exit = self.child.exited() => match posted().await {
                Some(answer) => Waited::Answer(answer),
                None => Waited::Exited(exit),
            },
        }
    }

    /// After answering, a pull bootstrap asks for the next event; until it
    /// does it cannot be frozen. Exiting instead resets the instance.
    async fn await_next(&self, next: impl Future<Output = bool>, answer: &mut Answer) {
        let asked = tokio::select! {
            asked = next => asked,
            _ = self.child.exited() => {
                answer.reset = true;
                return;
            }
        };
        if !asked {
            answer.breaches.push(Breach::new(
                BreachKind::NoNextAfterAnswer,
                format!(
                    "did not ask for the next event within {} s of answering: the platform \
                     freezes it anyway and the next event waits for it",
                    NEXT_WAIT.as_secs()
                ),
            ));
        }
    }

    /// Sends `request` to the function's server, with `options`' headers,
    /// up to `deadline` or the process's exit.
    async fn send(
        &self,
        mut request: Request<Bytes>,
        options: &InvokeOptions,
        deadline: Duration,
    ) -> Waited<std::io::Result<Reply>> {
        for (name, value) in &options.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                request.headers_mut().insert(name, value);
            }
        }
        let caller = match &self.wire {
            Wire::Fc(emulator) => emulator.caller(),
            Wire::Http(caller) => caller,
            Wire::Aws(_) | Wire::Scf(_) => unreachable!("pull platforms are not sent requests"),
        };
        tokio::select! {
            reply = caller.send(request, deadline) => match reply {
                Err(error) if error.kind() == std::io::ErrorKind::TimedOut => Waited::TimedOut,
                reply => Waited::Answer(reply),
            },
            exit = self.child.exited() => Waited::Exited(exit),
        }
    }

    /// FC's reading of a reply: `x-fc-status: 404` is a function error,
    /// anything else a success (reference 2.8).
    fn fc_answer(
        &self,
        request_id: &str,
        reply: Waited<std::io::Result<Reply>>,
        deadline: Duration,
        http: bool,
    ) -> Answer {
        let reply = match reply {
            Waited::Answer(Ok(reply)) => reply,
            other => return failed_send(request_id, other, deadline),
        };
        let fc_status = reply.header("x-fc-status").map(str::to_owned);
        if http {
            return pass_through(reply);
        }
        if fc_status.as_deref() == Some("404") {
            let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap_or_default();
            let error_type = json["errorType"]
                .as_str()
                .unwrap_or("UnhandledInvocationError")
                .to_owned();
            let error_message = json["errorMessage"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| String::from_utf8_lossy(&reply.body).into_owned());
            return Answer {
                body: reply.body,
                error: Some(FunctionError {
                    error_type,
                    error_message,
                }),
                ..Answer::default()
            };
        }
        let mut answer = Answer::ok(reply.body);
        if reply.status >= 400 && fc_status.is_none() {
            answer.breaches.push(Breach::new(
                BreachKind::StatusWithoutFcStatus,
                format!(
                    "answered HTTP {} without `x-fc-status`: FC records the invocation as a \
                     success (a failure needs status 404 and `x-fc-status: 404`)",
                    reply.status
                ),
            ));
        }
        answer
    }
}

/// A plain-HTTP platform's reading of a reply: for an event, a status of
/// 400 or more is the function's error; an HTTP request's reply passes
/// through as it is.
fn http_answer(
    request_id: &str,
    reply: Waited<std::io::Result<Reply>>,
    deadline: Duration,
    http: bool,
) -> Answer {
    let reply = match reply {
        Waited::Answer(Ok(reply)) => reply,
        other => return failed_send(request_id, other, deadline),
    };
    if http {
        return pass_through(reply);
    }
    if reply.status >= 400 {
        let mut answer = Answer::error(
            "Function.HttpError",
            format!(
                "the function answered HTTP {}: {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            ),
        );
        answer.http = Some(HttpAnswer {
            status: reply.status,
            headers: reply.headers,
        });
        return answer;
    }
    Answer::ok(reply.body)
}

fn pass_through(reply: Reply) -> Answer {
    Answer {
        body: reply.body,
        http: Some(HttpAnswer {
            status: reply.status,
            headers: reply.headers,
        }),
        ..Answer::default()
    }
}

/// No reply: the deadline passed, the process exited, or the connection
/// failed (the server closed it without answering).
fn failed_send(
    request_id: &str,
    reply: Waited<std::io::Result<Reply>>,
    deadline: Duration,
) -> Answer {
    match reply {
        Waited::TimedOut => Answer::timed_out(request_id, deadline),
        Waited::Exited(exit) => Answer::exited(request_id, exit),
        Waited::Answer(Err(error)) => {
            let mut answer = Answer::error(
                "Runtime.NoAnswer",
                format!(
                    "RequestId: {request_id} Error: the function's server gave no answer: {error}"
                ),
            );
            answer.reset = true;
            answer
        }
        Waited::Answer(Ok(reply)) => pass_through(reply),
    }
}
