//! [`Environment`]: where the runtime, its adapters, layers and plugin
//! loader read their configuration: the process environment, or an explicit
//! set of variables (tests, demos, several runtimes in one process).

use std::collections::HashMap;
use std::sync::Arc;

/// The environment variables the runtime sees.
///
/// [`Environment::process`] reads the real environment on each lookup;
/// [`Environment::from_vars`] is an isolated set, so parallel tests can
/// each point a runtime at their own emulator.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    vars: Option<Arc<HashMap<String, String>>>,
}

impl Environment {
    /// The process environment.
    pub fn process() -> Self {
        Environment { vars: None }
    }

    /// Exactly these variables, and nothing from the process.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Environment {
            vars: Some(Arc::new(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            )),
        }
    }

    /// The value of `name`; unset and empty are the same.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &self.vars {
            None => std::env::var(name).ok(),
            Some(vars) => vars.get(name).cloned(),
        };
        value.filter(|v| !v.is_empty())
    }

    /// Whether `name` is set (and not empty).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}
