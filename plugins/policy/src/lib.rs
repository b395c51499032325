//! A hook plugin that rejects events matching configured rules before the
//! handler runs, answering in its place with a `Policy.Rejected` error.
//!
//! # Layout
//! - [`Policy`]: the hook (`BeforeInvoke` only, the one phase it exports),
//!   a `ViewHook`: it reads the event where the runtime holds it, so an
//!   event that passes costs no copy.
//! - [`PolicyConfig`] and [`Rule`]: what to reject.
//!
//! # Example
//! ```toml
//! # light-runtime.toml
//! [[plugins]]
//! path = "/opt/light-runtime/plugins/libpolicy.so"
//! [[plugins.config.rules]]
//! pointer = "/action"        # a JSON pointer into the event
//! equals = "delete"          # any JSON value
//! reason = "deletes go through the admin API"
//! ```
//! An event `{"action":"delete"}` then gets the error `Policy.Rejected:
//! event rejected by policy: /action is "delete" (deletes go through the
//! admin API)` and the handler never runs. Events that are not JSON match
//! no rule.

use light_runtime_plugin_sdk::{
    export_view_plugin, BeforeInvokeCall, BoxError, InvocationError, Outcome, ViewHook,
};
use serde::Deserialize;
use serde_json::Value;

/// The plugin's configuration: the `config` table of its entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// An event matching any rule is rejected.
    pub rules: Vec<Rule>,
}

/// One rejection rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Where to look in the event, as a JSON pointer (`/user/role`).
    pub pointer: String,
    /// The value that gets the event rejected.
    pub equals: Value,
    /// Why, for the error message.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Rejects matching events; see the crate docs.
#[derive(Debug)]
pub struct Policy {
    rules: Vec<Rule>,
}

impl Policy {
    /// Reads the rules from the configuration (JSON text).
    pub fn from_config(config: &str) -> Result<Policy, BoxError> {
        if config.trim().is_empty() {
            return Err("policy: no rules configured; give `config.rules` in its \
                        light-runtime.toml entry"
                .into());
        }
        let config: PolicyConfig =
            serde_json::from_str(config).map_err(|e| format!("policy: bad configuration: {e}"))?;
        if let Some(rule) = config.rules.iter().find(|r| !r.pointer.starts_with('/')) {
            return Err(format!(
                "policy: rule pointer {:?} must start with `/` (a JSON pointer)",
                rule.pointer
            )
            .into());
        }
        Ok(Policy {
            rules: config.rules,
        })
    }

    /// The first rule `event` breaks, if any.
    pub fn violation(&self, event: &Value) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|rule| event.pointer(&rule.pointer) == Some(&rule.equals))
    }
}

impl ViewHook for Policy {
    fn on_before_invoke(&self, call: &mut BeforeInvokeCall<'_>) -> Result<(), BoxError> {
        let Ok(event) = serde_json::from_slice::<Value>(call.event()) else {
            return Ok(());
        };
        let Some(rule) = self.violation(&event) else {
            return Ok(());
        };
        let mut message = format!(
            "event rejected by policy: {} is {}",
            rule.pointer, rule.equals
        );
        if let Some(reason) = &rule.reason {
            message.push_str(&format!(" ({reason})"));
        }
        call.respond(&Outcome::Error(InvocationError::handler(
            "Policy.Rejected",
            message,
        )));
        Ok(())
    }
}

export_view_plugin!(
    name = "policy",
    new = Policy::from_config,
    phases = [BeforeInvoke]
);
