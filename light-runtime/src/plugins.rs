//! Hook plugins from configuration: which shared libraries to load, in
//! which order, with which settings; loaded before the first phase, each
//! load timed under `RuntimeStart`.
//!
//! Where the list comes from, first match wins:
//! 1. `LIGHT_RUNTIME_PLUGINS`: absolute paths separated by `:`, e.g.
//!    `/opt/plugins/libaudit.so:/opt/plugins/libpolicy.so` (no settings);
//! 2. the TOML file named by `LIGHT_RUNTIME_PLUGINS_CONFIG` (it must exist);
//! 3. `light-runtime.toml` in the function's code folder (`LAMBDA_TASK_ROOT`
//!    on AWS, `FC_FUNC_CODE_PATH` on FC, `USER_CODE_ROOT` on SCF);
//! 4. `light-runtime.toml` in the layer folder, `/opt` unless
//!    `LIGHT_RUNTIME_LAYER_DIR` says otherwise.
//!
//! ```toml
//! [[plugins]]
//! path = "{config_dir}/light-runtime/plugins/libaudit.so"  # next to this file
//! config = { path = "/tmp/audit.log" }                      # handed to the plugin as JSON
//!
//! [[plugins]]
//! path = "/opt/light-runtime/plugins/libpolicy.so"
//! ```
//!
//! Paths must be absolute; `{config_dir}` at the start stands for the
//! folder of the file itself, so a layer works wherever it is mounted.
//! Plugins run before the hooks added with
//! [`RuntimeBuilder::hook`](crate::RuntimeBuilder::hook): they are the outer
//! rings of the onion. Any problem (a bad file, a refused plugin, a failing
//! `create`) fails `RuntimeStart`, which the adapter reports to the platform
//! as an init error before exiting non-zero.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use runtime_engine::plugin;
use runtime_engine::Environment;
use runtime_engine::{BoxError, FunctionInfo, Hook};
use serde::{Deserialize, Serialize};

/// Lists plugin files, `:`-separated; wins over any config file.
pub const PLUGINS_VAR: &str = "LIGHT_RUNTIME_PLUGINS";
/// Names the plugin config file explicitly.
pub const CONFIG_VAR: &str = "LIGHT_RUNTIME_PLUGINS_CONFIG";
/// Where the platform mounts layers; `/opt` when unset.
pub const LAYER_DIR_VAR: &str = "LIGHT_RUNTIME_LAYER_DIR";
/// The config file's name in the code and layer folders.
pub const CONFIG_FILE_NAME: &str = "light-runtime.toml";
/// Stands for the config file's folder at the start of a plugin path.
pub const CONFIG_DIR: &str = "{config_dir}";

/// The code folders the platforms name, in the order they are tried.
const CODE_DIR_VARS: [&str; 3] = ["LAMBDA_TASK_ROOT", "FC_FUNC_CODE_PATH", "USER_CODE_ROOT"];

/// A `light-runtime.toml` file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsFile {
    /// The plugins, in the order they run before the handler.
    #[serde(default)]
    pub plugins: Vec<PluginEntry>,
}

/// One `[[plugins]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PluginEntry {
    /// The shared library: absolute, or starting with `{config_dir}`.
    pub path: String,
    /// The plugin's settings, handed to it as JSON text when it is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<toml::Value>,
}

/// A plugin to load: where it is, its settings, and where it was listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSpec {
    /// The file, as configured (after `{config_dir}` is expanded).
    pub path: PathBuf,
    /// The settings as JSON text; empty for none.
    pub config: String,
    /// Where the plugin was listed, for error messages.
    pub listed_in: String,
}

/// The plugins the environment lists, in order; empty when none is configured.
pub fn configured(env: &Environment) -> Result<Vec<PluginSpec>, String> {
    if let Some(list) = env.get(PLUGINS_VAR) {
        let listed_in = format!("the {PLUGINS_VAR} environment variable");
        return Ok(list
            .split(':')
            .filter(|entry| !entry.trim().is_empty())
            .map(|entry| PluginSpec {
                path: PathBuf::from(entry.trim()),
                config: String::new(),
                listed_in: listed_in.clone(),
            })
            .collect());
    }
    if let Some(file) = env.get(CONFIG_VAR) {
        return read_config(Path::new(&file)).map_err(|e| format!("{e} (named by {CONFIG_VAR})"));
    }
    let layer_dir = env.get(LAYER_DIR_VAR).unwrap_or_else(|| "/opt".to_owned());
    let candidates = CODE_DIR_VARS
        .iter()
        .filter_map(|var| env.get(var))
        .chain(std::iter::once(layer_dir))
        .map(|dir| Path::new(&dir).join(CONFIG_FILE_NAME));
    for candidate in candidates {
        if candidate.is_file() {
            return read_config(&candidate);
        }
    }
    Ok(Vec::new())
}

/// Reads a config file; refuses one that others may write to.
pub fn read_config(file: &Path) -> Result<Vec<PluginSpec>, String> {
    use std::os::unix::fs::PermissionsExt;
    let shown = file.display();
    let metadata = std::fs::metadata(file)
        .map_err(|e| format!("plugin config file {shown} cannot be read: {e}"))?;
    if metadata.permissions().mode() & 0o002 != 0 {
        return Err(format!(
            "plugin config file {shown} refused: it is writable by others, so anyone on the \
             machine could choose the code this runtime loads; remove that permission (chmod o-w)"
        ));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("plugin config file {shown} cannot be read: {e}"))?;
    parse_config(&text, file)
}

/// Parses the text of the config file `file`: the plugins it lists, with
/// `{config_dir}` expanded. Never panics; an error names the file and what
/// is wrong with it.
pub fn parse_config(text: &str, file: &Path) -> Result<Vec<PluginSpec>, String> {
    let shown = file.display();
    let parsed: PluginsFile = toml::from_str(text)
        .map_err(|e| format!("plugin config file {shown} is not valid: {e}"))?;
    let folder = file.parent().unwrap_or(Path::new("/"));
    parsed
        .plugins
        .into_iter()
        .map(|entry| {
            let path = match entry.path.strip_prefix(CONFIG_DIR) {
                Some(rest) => folder.join(rest.trim_start_matches('/')),
                None => PathBuf::from(&entry.path),
            };
            let config = match &entry.config {
                None => String::new(),
                Some(value) => serde_json::to_string(value).map_err(|e| {
                    format!(
                        "plugin config file {shown}: the config of {} is not JSON-able: {e}",
                        entry.path
                    )
                })?,
            };
            Ok(PluginSpec {
                path,
                config,
                listed_in: shown.to_string(),
            })
        })
        .collect()
}

/// A loaded plugin and how long loading it took.
#[derive(Debug)]
pub struct Loaded {
    /// The plugin, ready to run as a hook.
    pub hook: plugin::PluginHook,
    /// The time from opening the file to a created instance.
    pub load_time: Duration,
}

/// Loads `specs` in order; the first refusal stops, naming the file, the
/// reason and where it was listed.
pub fn load(specs: &[PluginSpec]) -> Result<Vec<Loaded>, String> {
    specs
        .iter()
        .map(|spec| {
            let started = Instant::now();
            let hook = plugin::load(&spec.path, &spec.config)
                .map_err(|e| format!("{e} (listed in {})", spec.listed_in))?;
            Ok(Loaded {
                hook,
                load_time: started.elapsed(),
            })
        })
        .collect()
}

/// A named step inside `RuntimeStart` and how long it took.
pub(crate) type LoadStep = (String, Duration);

/// Puts the configured plugins in front of `hooks`. On failure a hook that
/// fails `RuntimeStart` with the reason takes their place, so the adapter
/// reports it to the platform as an init error. Returns the hooks and each
/// plugin's load step (`load plugin <name>`, time) for the timings.
pub(crate) fn attach(
    hooks: Vec<Box<dyn Hook>>,
    env: &Environment,
) -> (Vec<Box<dyn Hook>>, Vec<LoadStep>) {
    let loaded = configured(env).and_then(|specs| load(&specs));
    let mut all: Vec<Box<dyn Hook>> = Vec::new();
    let mut steps = Vec::new();
    match loaded {
        Ok(plugins) => {
            for plugin in plugins {
                steps.push((
                    format!("load plugin {}", plugin.hook.name()),
                    plugin.load_time,
                ));
                all.push(Box::new(plugin.hook));
            }
        }
        Err(message) => all.push(Box::new(PluginLoadFailed(message))),
    }
    all.extend(hooks);
    (all, steps)
}

/// Fails `RuntimeStart` with why the plugins could not be loaded.
struct PluginLoadFailed(String);

impl Hook for PluginLoadFailed {
    fn name(&self) -> &str {
        "plugins"
    }

    fn on_runtime_start(&self, _function: &FunctionInfo) -> Result<(), BoxError> {
        Err(self.0.clone().into())
    }
}
