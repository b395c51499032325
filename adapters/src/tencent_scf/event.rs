//! A `next` response into an [`Invocation`] (reference 3.5): `request_id`,
//! `memory_limit_in_mb`, `time_limit_in_ms` (relative: the deadline is the
//! time of receipt plus the limit).

use std::time::Duration;

use runtime_engine::{Deadline, Invocation, Lifecycle, PlatformHeaders};

use crate::function_info::{CurrentFunctionInfo, SentFunctionInfo};
use light_runtime_http_client::RawResponse;

/// Builds the invocation for `response`, or says which header is wrong.
/// A missing `request_id` is tolerated (answers carry no id on SCF) and
/// replaced by `scf-<sequence>`.
pub(crate) fn invocation(
    lifecycle: &Lifecycle,
    function: &CurrentFunctionInfo,
    response: RawResponse,
) -> Result<Invocation, (String, String)> {
    let mut request_id = None;
    let mut memory = None;
    let mut time_limit = None;
    for (name, value) in response.headers() {
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        let value = value.trim();
        // The docs write `Request_Id`, the runtimes `request_id`: any case.
        if name.eq_ignore_ascii_case(b"request_id") {
            request_id = Some(value);
        } else if name.eq_ignore_ascii_case(b"memory_limit_in_mb") {
            memory = Some(value);
        } else if name.eq_ignore_ascii_case(b"time_limit_in_ms") {
            time_limit = Some(value);
        }
    }
    let request_id = match request_id.filter(|id| !id.is_empty()) {
        Some(id) => id.to_owned(),
        None => {
            let id = format!("scf-{}", lifecycle.invocations() + 1);
            tracing::warn!(
                "the SCF runtime API sent an event without request_id; calling it `{id}`"
            );
            id
        }
    };
    let bad = |message: String| (request_id.clone(), message);
    let memory_mb = match memory {
        Some(text) => Some(text.parse::<u32>().map_err(|_| {
            bad(format!(
                "header memory_limit_in_mb is not a number of MB: {text:?}"
            ))
        })?),
        None => None,
    };
    let deadline = match time_limit {
        Some(text) => Some(Deadline::after(Duration::from_millis(
            text.parse::<u64>().map_err(|_| {
                bad(format!(
                    "header time_limit_in_ms is not a number of milliseconds: {text:?}"
                ))
            })?,
        ))),
        None => None,
    };
    let function = function.resolve(&SentFunctionInfo {
        memory_mb,
        ..SentFunctionInfo::default()
    });
    let mut builder = lifecycle.context(request_id).function(function);
    if let Some(deadline) = deadline {
        builder = builder.deadline(deadline);
    }
    let context = builder
        .platform_headers(PlatformHeaders::from_raw(response.head))
        .build();
    Ok(Invocation {
        context,
        payload: response.body,
    })
}
