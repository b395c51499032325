//! Breaches of the platform's contract by a bootstrap ([`Breach`]), and
//! finding them in what the emulators recorded.
//!
//! A breach is something the real platform would refuse, ignore or punish
//! that a bootstrap can get away with locally: each is printed with the
//! invocation it happened in and returned as an `X-Light-Runtime-Breach`
//! header (`docs/emulate.md` lists them).

use std::fmt;

use light_runtime_emulators::RecordedCall;

/// Which rule was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BreachKind {
    /// A second answer (`/response` or `/error`) for one invocation.
    AnsweredTwice,
    /// An answer for a request id that is not in flight.
    UnknownRequestId,
    /// AWS: an error posted without `Lambda-Runtime-Function-Error-Type`.
    ErrorWithoutType,
    /// A buffered response over the platform's payload limit.
    ResponseTooLarge,
    /// AWS: a `Lambda-Runtime-Function-Response-Mode` other than `streaming`.
    InvalidResponseMode,
    /// A call to a path the platform's runtime API does not have.
    UnknownEndpoint,
    /// AWS: `POST /runtime/init/error` after init was over.
    LateInitError,
    /// SCF: `next` asked for without `POST /runtime/init/ready` first.
    NoInitReady,
    /// FC and HTTP: the port was not listening within the init budget.
    PortNotOpened,
    /// AWS and SCF: not ready (no `next`) within the init budget.
    InitTimedOut,
    /// The process exited during init.
    ExitDuringInit,
    /// AWS and SCF: no `next` after answering, so the instance cannot be
    /// frozen as idle.
    NoNextAfterAnswer,
    /// FC: an error status without `x-fc-status`, which FC counts a success.
    StatusWithoutFcStatus,
    /// FC: `POST /initialize` answered a 5xx (FC restarts the instance).
    InitializerFailed,
}

/// One breach, in words that say what was wrong and what the platform does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// The rule broken.
    pub kind: BreachKind,
    /// What happened, for people.
    pub message: String,
}

impl Breach {
    /// A breach of `kind`, told by `message`.
    pub fn new(kind: BreachKind, message: impl Into<String>) -> Self {
        Breach {
            kind,
            message: message.into(),
        }
    }

    /// The message as a header value: visible ASCII and spaces only.
    pub fn header_value(&self) -> String {
        self.message
            .chars()
            .map(|c| {
                if c == ' ' || c.is_ascii_graphic() {
                    c
                } else {
                    '?'
                }
            })
            .collect()
    }
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The Lambda Runtime API calls of one invocation (`calls`, answered by the
/// emulator in order) that broke its contract; `request_id` is the
/// invocation in flight.
pub(crate) fn in_lambda_calls(calls: &[RecordedCall], request_id: &str) -> Vec<Breach> {
    let mut breaches = Vec::new();
    for call in calls {
        let path = call.path.as_str();
        let answer = path
            .strip_prefix("/2018-06-01/runtime/invocation/")
            .and_then(|rest| {
                rest.strip_suffix("/response")
                    .map(|id| (id, "response"))
                    .or_else(|| rest.strip_suffix("/error").map(|id| (id, "error")))
            });
        match (answer, call.status) {
            (Some((id, kind)), 403) => breaches.push(Breach::new(
                BreachKind::AnsweredTwice,
                format!(
                    "posted /{kind} for `{id}` after it was already answered: the first answer \
                     stands (Lambda answers 403 InvalidStateTransition)"
                ),
            )),
            (Some((id, kind)), 400) if id != request_id => breaches.push(Breach::new(
                BreachKind::UnknownRequestId,
                format!(
                    "posted /{kind} for unknown request id `{id}` (the invocation in flight is \
                     `{request_id}`; Lambda answers 400 InvalidRequestID)"
                ),
            )),
            (Some(_), 400) => breaches.push(Breach::new(
                BreachKind::InvalidResponseMode,
                format!(
                    "posted a response with Lambda-Runtime-Function-Response-Mode `{}`: only \
                     `streaming` is allowed (400)",
                    call.header("lambda-runtime-function-response-mode")
                        .unwrap_or_default()
                ),
            )),
            (Some(_), 413) => breaches.push(Breach::new(
                BreachKind::ResponseTooLarge,
                format!(
                    "posted a response of {} bytes, over Lambda's 6 MiB limit for buffered \
                     responses (413 RequestEntityTooLarge)",
                    call.body.len()
                ),
            )),
            (Some((_, "error")), 202)
                if call.header("lambda-runtime-function-error-type").is_none() =>
            {
                breaches.push(Breach::new(
                    BreachKind::ErrorWithoutType,
                    "posted an error without the Lambda-Runtime-Function-Error-Type header: \
                     Lambda cannot tell its category and reports it as Runtime.Unknown",
                ))
            }
            (None, 403) if path.ends_with("/runtime/init/error") => breaches.push(Breach::new(
                BreachKind::LateInitError,
                "posted /runtime/init/error after init was over: an invocation's failure goes \
                 to /invocation/{id}/error (403 InvalidStateTransition)",
            )),
            (_, 404) => breaches.push(unknown_endpoint(call)),
            _ => {}
        }
    }
    breaches
}

/// The SCF Runtime API calls of one invocation that broke its contract.
/// `answers` is how many answers were posted for `request_id`.
pub(crate) fn in_scf_calls(
    calls: &[RecordedCall],
    request_id: &str,
    answers: usize,
) -> Vec<Breach> {
    let mut breaches: Vec<Breach> = calls
        .iter()
        .filter(|call| call.status == 404)
        .map(unknown_endpoint)
        .collect();
    if answers > 1 {
        breaches.push(Breach::new(
            BreachKind::AnsweredTwice,
            format!(
                "posted {answers} answers for `{request_id}`: SCF locks the first one and \
                 refuses the rest"
            ),
        ));
    }
    breaches
}

fn unknown_endpoint(call: &RecordedCall) -> Breach {
    Breach::new(
        BreachKind::UnknownEndpoint,
        format!(
            "called {} {}, which the runtime API does not have (404)",
            call.method, call.path
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(method: &str, path: &str, status: u16, headers: &[(&str, &str)]) -> RecordedCall {
        RecordedCall {
            method: method.into(),
            path: path.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Default::default(),
            status,
        }
    }

    #[test]
    fn each_lambda_breach_is_found_and_a_clean_invocation_has_none() {
        let base = "/2018-06-01/runtime/invocation";
        let typed = [("lambda-runtime-function-error-type", "Function.X")];
        let clean = [
            call("GET", &format!("{base}/next"), 200, &[]),
            call("POST", &format!("{base}/r1/response"), 202, &[]),
            call("POST", &format!("{base}/r2/error"), 202, &typed),
        ];
        assert_eq!(in_lambda_calls(&clean, "r1"), vec![]);

        let broken = [
            call("POST", &format!("{base}/r1/response"), 403, &[]),
            call("POST", &format!("{base}/nobody/response"), 400, &[]),
            call("POST", &format!("{base}/r1/error"), 202, &[]),
            call("POST", &format!("{base}/r1/response"), 413, &[]),
            call("GET", "/2018-06-01/runtime/wrong", 404, &[]),
            call("POST", "/2018-06-01/runtime/init/error", 403, &[]),
        ];
        let kinds: Vec<_> = in_lambda_calls(&broken, "r1")
            .into_iter()
            .map(|b| b.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                BreachKind::AnsweredTwice,
                BreachKind::UnknownRequestId,
                BreachKind::ErrorWithoutType,
                BreachKind::ResponseTooLarge,
                BreachKind::UnknownEndpoint,
                BreachKind::LateInitError,
            ]
        );
        let unknown = &in_lambda_calls(&broken[1..2], "r1")[0];
        assert!(unknown.message.contains("`nobody`"), "{unknown}");
    }

    #[test]
    fn scf_double_answers_and_unknown_paths_are_breaches() {
        let calls = [call("POST", "/runtime/invocation/resp", 404, &[])];
        let kinds: Vec<_> = in_scf_calls(&calls, "s1", 2)
            .into_iter()
            .map(|b| b.kind)
            .collect();
        assert_eq!(
            kinds,
            [BreachKind::UnknownEndpoint, BreachKind::AnsweredTwice]
        );
        assert!(in_scf_calls(&[], "s1", 1).is_empty());
    }

    #[test]
    fn header_values_are_printable_ascii() {
        let breach = Breach::new(BreachKind::UnknownEndpoint, "é\nx y");
        assert_eq!(breach.header_value(), "??x y");
    }
}
