//! The cloud-layer package: a zip of hook plugins and their config file,
//! and either a prebuilt `bootstrap` (plugins mode) or the `light-runtime`
//! command with scripts that start it in proxy or web mode around the
//! function's own command, laid out as the platform mounts layers.
//! `light-runtime package --platform aws|fc|scf --mode plugins|proxy|web`
//! writes it.
//!
//! # Layout
//! - [`layout`]: where each file goes per platform and mode
//!   ([`Layout`], [`Mode`], [`StartScript`]).
//! - `start_script`: the start scripts' text; their shared body is
//!   `start.sh` beside it.
//! - `archive`: the zip itself: folders first, unix modes, the command
//!   streamed in.
//! - `c_library`: a warning when the packaged command needs a newer glibc
//!   than the platform's oldest image has.
//! - this module: what goes in ([`LayerSpec`]) and the zip ([`write_layer`]).
//!
//! Every layer's root becomes `/opt`; plugins go to
//! `/opt/light-runtime/plugins/`, the config file to `/opt/light-runtime.toml`,
//! the command (proxy and web) to `/opt/bin/light-runtime`. The rest:
//!
//! | platform | `--mode plugins` | `--mode proxy` | `--mode web` |
//! |---|---|---|---|
//! | `aws` | `/opt/bootstrap` (Lambda runs it when the function has none) | `/opt/light-runtime-wrapper` (`AWS_LAMBDA_EXEC_WRAPPER`, managed runtimes) and `/opt/bootstrap` (`provided.al2023`) | `/opt/bootstrap` (`provided.al2023`) |
//! | `fc` | `/opt/bin/bootstrap` (the custom runtime's start command) | `/opt/bin/light-runtime-start` (`customRuntimeConfig.command`, the function's command as `args`) | same |
//! | `scf` | `/opt/bin/bootstrap` (the function's own `bootstrap` execs it) | `/opt/bin/bootstrap` (the function's `bootstrap` execs it with its command) | `/opt/bin/scf_bootstrap` (the web function's `scf_bootstrap` execs it) |
//!
//! A start script takes the function's command from its arguments, else
//! from `LIGHT_RUNTIME_PROXY_COMMAND` / `LIGHT_RUNTIME_WEB_COMMAND` (a shell
//! command line), else `run.sh` in the function's code folder, and execs
//! `light-runtime proxy|web -- <command>` so signals reach the runtime.
//!
//! FC and SCF extracting layers to `/opt` is what their layer docs say; the
//! start-command wiring for files from a layer is unconfirmed against the
//! live platforms, as is Lambda's exec-wrapper contract beyond AWS's docs
//! (the reference has no section on it). The config file lists each plugin
//! as `{config_dir}/light-runtime/plugins/<file>`, so the layer works
//! wherever it is mounted (see `light_runtime::plugins`).

mod archive;
mod c_library;
pub mod layout;
mod start_script;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use runtime_engine::Platform;

use light_runtime::plugins::{PluginEntry, PluginsFile, CONFIG_DIR};

use archive::{write_zip, Content};

pub use layout::{Layout, Mode, StartScript};

/// What goes into a layer.
#[derive(Debug, Clone)]
pub struct LayerSpec {
    /// The platform whose layout to use.
    pub platform: Platform,
    /// What the layer carries besides plugins.
    pub mode: Mode,
    /// The plugins in order: `path` is the local file; `config` travels into
    /// the layer's config file unchanged.
    pub plugins: Vec<PluginEntry>,
    /// A prebuilt bootstrap to include (plugins mode only).
    pub bootstrap: Option<PathBuf>,
    /// The `light-runtime` command to include (proxy and web modes, where it
    /// is required): a build for the platform's OS and architecture.
    pub runtime: Option<PathBuf>,
}

impl LayerSpec {
    /// An empty layer for `platform` in `mode`.
    pub fn new(platform: Platform, mode: Mode) -> LayerSpec {
        LayerSpec {
            platform,
            mode,
            plugins: Vec::new(),
            bootstrap: None,
            runtime: None,
        }
    }

    /// Starts from a template config file whose plugin paths are local
    /// files (absolute, or relative to the template's folder).
    pub fn from_template(
        platform: Platform,
        mode: Mode,
        template: &Path,
    ) -> Result<LayerSpec, String> {
        let shown = template.display();
        let text = std::fs::read_to_string(template)
            .map_err(|e| format!("cannot read the plugin config template {shown}: {e}"))?;
        let file: PluginsFile = toml::from_str(&text)
            .map_err(|e| format!("the plugin config template {shown} is not valid: {e}"))?;
        let folder = template.parent().unwrap_or(Path::new("."));
        let mut spec = LayerSpec::new(platform, mode);
        spec.plugins = file
            .plugins
            .into_iter()
            .map(|mut entry| {
                entry.path = folder.join(&entry.path).display().to_string();
                entry
            })
            .collect();
        Ok(spec)
    }
}

/// What [`write_layer`] wrote.
#[derive(Debug, Clone)]
pub struct LayerSummary {
    /// The layout used.
    pub layout: Layout,
    /// Each entry's path inside the zip, in order.
    pub entries: Vec<String>,
    /// What may keep the layer from working, for the user to read (the
    /// zip is written all the same).
    pub warnings: Vec<String>,
}

/// Writes the layer zip for `spec` to `output`.
pub fn write_layer(spec: &LayerSpec, output: &Path) -> Result<LayerSummary, String> {
    let layout = Layout::of(spec.platform, spec.mode).ok_or_else(|| {
        format!(
            "{} has no layers to package for; use aws, fc or scf",
            spec.platform
        )
    })?;
    let mut files: Vec<(String, Content, u32)> = Vec::new();
    let mut warnings = Vec::new();
    let config = plugin_files(spec, &layout, &mut files)?;
    match (&spec.bootstrap, layout.bootstrap) {
        (Some(bootstrap), Some(in_zip)) => {
            let bytes = std::fs::read(bootstrap)
                .map_err(|e| format!("cannot read bootstrap {}: {e}", bootstrap.display()))?;
            files.push((in_zip.to_owned(), Content::Bytes(bytes), 0o755));
        }
        (Some(bootstrap), None) => {
            return Err(format!(
                "--bootstrap {} is for --mode plugins; a {} layer starts its own \
                 light-runtime command (give that with --runtime)",
                bootstrap.display(),
                spec.mode
            ))
        }
        (None, _) => {}
    }
    match (&spec.runtime, layout.runtime) {
        (Some(runtime), Some(in_zip)) => {
            check_runtime(runtime)?;
            warnings.extend(c_library::check(runtime, &layout));
            files.push((in_zip.to_owned(), Content::File(runtime.clone()), 0o755));
        }
        (Some(runtime), None) => {
            return Err(format!(
                "--runtime {} is for --mode proxy or web; a plugins layer carries no \
                 light-runtime command",
                runtime.display()
            ))
        }
        (None, Some(_)) => {
            return Err(format!(
                "a {} layer needs the light-runtime command built for {}: pass --runtime FILE",
                spec.mode, spec.platform
            ))
        }
        (None, None) => {}
    }
    for script in layout.scripts {
        if let Some(text) = start_script::render(&layout, script) {
            files.push((script.path.to_owned(), Content::Bytes(text.into()), 0o755));
        }
    }
    let config_text = toml::to_string(&config)
        .map_err(|e| format!("cannot write the plugin config file: {e}"))?;
    let header = format!(
        "# Hook plugins for light-runtime, loaded in this order at start.\n\
         # {CONFIG_DIR} is the folder of this file ({} on {}).\n",
        layout.mount, spec.platform
    );
    files.push((
        layout.config.to_owned(),
        Content::Bytes((header + &config_text).into_bytes()),
        0o644,
    ));
    let entries = write_zip(&files, output)?;
    Ok(LayerSummary {
        layout,
        entries,
        warnings,
    })
}

/// Adds each plugin of `spec` to `files` and returns the config file that
/// lists them where the layer puts them.
fn plugin_files(
    spec: &LayerSpec,
    layout: &Layout,
    files: &mut Vec<(String, Content, u32)>,
) -> Result<PluginsFile, String> {
    let mut config = PluginsFile::default();
    for plugin in &spec.plugins {
        let local = Path::new(&plugin.path);
        let bytes = std::fs::read(local)
            .map_err(|e| format!("cannot read plugin {}: {e}", local.display()))?;
        if !bytes.windows(20).any(|w| w == b"light_runtime_plugin") {
            return Err(format!(
                "{} does not look like a light-runtime plugin: it has no `light_runtime_plugin` \
                 symbol (build it with export_plugin!, see docs/writing-a-hook-plugin.md)",
                local.display()
            ));
        }
        let file_name = local
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("plugin path {} has no file name", local.display()))?;
        let in_zip = format!("{}/{file_name}", layout.plugins_dir);
        if files.iter().any(|(name, _, _)| *name == in_zip) {
            return Err(format!(
                "two plugins are called {file_name}; rename one, they share {}/",
                layout.plugins_dir
            ));
        }
        config.plugins.push(PluginEntry {
            path: format!("{CONFIG_DIR}/{in_zip}"),
            config: plugin.config.clone(),
        });
        files.push((in_zip, Content::Bytes(bytes), 0o755));
    }
    Ok(config)
}

/// Refuses a `--runtime` that cannot run on a Linux platform: the layer
/// would fail only at the function's first start, far from the cause.
fn check_runtime(runtime: &Path) -> Result<(), String> {
    let shown = runtime.display();
    let mut head = [0u8; 4];
    File::open(runtime)
        .and_then(|mut file| file.read_exact(&mut head))
        .map_err(|e| format!("cannot read the light-runtime command {shown}: {e}"))?;
    if head == *b"\x7fELF" || head.starts_with(b"#!") {
        Ok(())
    } else {
        Err(format!(
            "{shown} is not a Linux executable (no ELF header): build light-runtime for the \
             platform's architecture, e.g. `cargo build --release --bin light-runtime \
             --target x86_64-unknown-linux-gnu`, and pass it with --runtime"
        ))
    }
}
