//! From what the service kept ([`Pending`]) to the bytes of a capture
//! file: the [`Scene`], redacted, then cut to the size bound.

use base64::Engine as _;
use serde_json::{json, Value};

use super::config::CaptureConfig;
use super::scene::{ContextFacts, ErrorFacts, Event, Logs, RuntimeFacts, Scene, Timings, FORMAT};
use super::state::Pending;

/// Room kept for the fields the cut does not touch.
const CUT_MARGIN: usize = 512;

/// The capture file's bytes and its time stamp for the file name.
pub(crate) struct Built {
    pub(crate) json: Vec<u8>,
    pub(crate) stamp: String,
    pub(crate) request_id: String,
}

/// Builds, redacts and bounds one capture.
pub(crate) fn build(
    pending: Pending,
    config: &CaptureConfig,
    layers: &[String],
    plugins: &[String],
    dropped_before: u64,
) -> Built {
    let context = &pending.context;
    let function = context.function();
    let headers: Vec<(String, String)> = context
        .platform_headers()
        .iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let client_context = header("lambda-runtime-client-context")
        .and_then(|raw| serde_json::from_str(&raw).ok())
        .or_else(|| {
            context.client_context().map(|c| {
                json!({
                    "client": {
                        "installation_id": c.client.installation_id,
                        "app_title": c.client.app_title,
                        "app_version_name": c.client.app_version_name,
                        "app_version_code": c.client.app_version_code,
                        "app_package_name": c.client.app_package_name,
                    },
                    "custom": c.custom,
                    "env": c.env,
                })
            })
        });
    let identity = context.identity().map(|i| {
        json!({
            "cognitoIdentityId": i.cognito_identity_id,
            "cognitoIdentityPoolId": i.cognito_identity_pool_id,
        })
    });
    let (encoding, body) = match serde_json::from_slice::<Value>(&pending.payload) {
        Ok(value) => ("json", value),
        Err(_) => match std::str::from_utf8(&pending.payload) {
            Ok(text) => ("text", Value::String(text.to_owned())),
            Err(_) => (
                "base64",
                Value::String(base64::engine::general_purpose::STANDARD.encode(&pending.payload)),
            ),
        },
    };
    let reason = match &pending.error {
        None => "sample",
        Some((_, _, "panic")) => "panic",
        Some((_, _, "timeout")) => "timeout",
        Some(_) => "error",
    };
    let ended = humantime::format_rfc3339_millis(pending.ended).to_string();
    let stamp: String = ended.chars().filter(|c| *c != '-' && *c != ':').collect();
    let scene = Scene {
        format: FORMAT.to_owned(),
        captured_at: ended,
        reason: reason.to_owned(),
        runtime: RuntimeFacts {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            platform: context.platform().short_name().to_owned(),
            function: function.name.to_string(),
            function_version: context.function_version().to_owned(),
            handler: context.handler().map(str::to_owned),
            memory_mb: context.memory_mb(),
            region: context.region().map(str::to_owned),
            layers: layers.to_vec(),
            plugins: plugins.to_vec(),
        },
        context: ContextFacts {
            request_id: context.request_id().to_owned(),
            remaining_ms: context.deadline().map(|d| {
                let at_start = d.instant().saturating_duration_since(pending.started);
                u64::try_from(at_start.as_millis()).unwrap_or(u64::MAX)
            }),
            deadline_epoch_ms: context.deadline().map(|d| d.epoch_ms()),
            invoked_function_arn: context.invoked_function_arn().map(str::to_owned),
            trace_header: context.trace_header().map(str::to_owned),
            client_context,
            identity,
            tenant_id: context.tenant_id().map(str::to_owned),
            trigger: context.trigger().as_str().to_owned(),
            cold_start: context.is_cold_start(),
            sequence: context.sequence(),
            had_credentials: context.credentials().is_some(),
        },
        headers,
        event: Event {
            encoding: encoding.to_owned(),
            body,
            truncated: false,
            original_bytes: pending.payload.len() as u64,
        },
        error: pending.error.as_ref().map(|(t, m, k)| ErrorFacts {
            error_type: t.clone(),
            message: m.clone(),
            kind: (*k).to_owned(),
        }),
        logs: Logs {
            lines: pending.logs.lines,
            dropped: pending.logs.dropped,
        },
        timings: Timings {
            pipeline_ms: pending.pipeline.as_secs_f64() * 1000.0,
            remaining_at_end_ms: context.deadline().map(|d| {
                let left = d
                    .instant()
                    .saturating_duration_since(pending.started + pending.pipeline);
                u64::try_from(left.as_millis()).unwrap_or(u64::MAX)
            }),
        },
        redacted: Vec::new(),
        dropped_before,
    };
    let mut value = serde_json::to_value(&scene).expect("a scene is plain data");
    redact(&mut value, config, context);
    let json = bound(value, config.max_bytes);
    Built {
        json,
        stamp,
        request_id: scene.context.request_id,
    }
}

fn redact(value: &mut Value, config: &CaptureConfig, context: &runtime_engine::Context) {
    let mut run = config.policy.run();
    if let Some(credentials) = context.credentials() {
        run.known(
            [
                Some(credentials.access_key_id.clone()),
                Some(credentials.secret_access_key.clone()),
                credentials.session_token.clone(),
            ]
            .into_iter()
            .flatten(),
        );
    }
    if let Some(event) = value.pointer_mut("/event/body") {
        run.pointers(event, "/event/body");
        run.keys(event, "/event/body");
    }
    if let Some(client_context) = value.pointer_mut("/context/client_context") {
        run.keys(client_context, "/context/client_context");
    }
    if let Some(Value::Array(headers)) = value.pointer_mut("/headers") {
        let mut pairs: Vec<(String, String)> = headers
            .iter()
            .filter_map(|h| {
                Some((
                    h.get(0)?.as_str()?.to_owned(),
                    h.get(1)?.as_str()?.to_owned(),
                ))
            })
            .collect();
        run.headers(&mut pairs, "/headers");
        *headers = pairs.into_iter().map(|(n, v)| json!([n, v])).collect();
    }
    run.scrub_all(value, "", &["format", "redacted"]);
    value["redacted"] = json!(run.into_redacted());
}

/// Cuts the file to `max_bytes`: the oldest log lines down to a quarter
/// of the bound (the newest are nearest the failure), then the event, then
/// the remaining lines.
fn bound(mut value: Value, max_bytes: usize) -> Vec<u8> {
    let json = serde_json::to_vec(&value).expect("plain data");
    if json.len() <= max_bytes {
        return json;
    }
    drop_lines(&mut value, max_bytes / 4);
    let json = serde_json::to_vec(&value).expect("plain data");
    if json.len() <= max_bytes {
        return json;
    }
    let event_text = value["event"]["body"].to_string();
    let rest = json.len() - event_text.len();
    let mut keep = max_bytes
        .saturating_sub(rest + CUT_MARGIN)
        .min(event_text.len());
    while !event_text.is_char_boundary(keep) {
        keep -= 1;
    }
    value["event"]["body"] = Value::String(event_text[..keep].to_owned());
    value["event"]["encoding"] = json!("text");
    value["event"]["truncated"] = json!(true);
    let json = serde_json::to_vec(&value).expect("plain data");
    if json.len() <= max_bytes {
        return json;
    }
    drop_lines(&mut value, 0);
    serde_json::to_vec(&value).expect("plain data")
}

/// Drops the oldest lines until the rest take at most `budget` bytes.
fn drop_lines(value: &mut Value, budget: usize) {
    let Some(Value::Array(lines)) = value.pointer_mut("/logs/lines") else {
        return;
    };
    let mut total: usize = lines
        .iter()
        .map(|l| l.as_str().map_or(0, str::len) + 3)
        .sum();
    let mut cut = 0;
    while total > budget && cut < lines.len() {
        total -= lines[cut].as_str().map_or(0, str::len) + 3;
        cut += 1;
    }
    lines.drain(..cut);
    let dropped = value["logs"]["dropped"].as_u64().unwrap_or(0) + cut as u64;
    value["logs"]["dropped"] = json!(dropped);
}
