//! The cloud-layer package: a zip of hook plugins, their config file and
//! optionally a prebuilt `bootstrap`, laid out as the platform mounts
//! layers. `light-runtime package --platform aws|fc|scf` writes it.
//!
//! | platform | zip root becomes | bootstrap | plugins | config |
//! |---|---|---|---|---|
//! | `aws` | `/opt` | `/opt/bootstrap` (Lambda runs it when the function has none) | `/opt/light-runtime/plugins/` | `/opt/light-runtime.toml` |
//! | `fc` | `/opt` | `/opt/bin/bootstrap` (set the custom runtime's start command to it) | same | same |
//! | `scf` | `/opt` | `/opt/bin/bootstrap` (the function's own `bootstrap` execs it) | same | same |
//!
//! FC and SCF extracting layers to `/opt` is what their layer docs say;
//! the start-command wiring for a bootstrap from a layer is unconfirmed
//! against the live platforms. The config file lists each plugin as
//! `{config_dir}/light-runtime/plugins/<file>`, so the layer works wherever
//! it is mounted (see `light_runtime::plugins`).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use runtime_engine::Platform;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use light_runtime::plugins::{PluginEntry, PluginsFile, CONFIG_DIR, CONFIG_FILE_NAME};

/// Where things go inside a layer zip for one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The platform.
    pub platform: Platform,
    /// The folder the zip's root is extracted to.
    pub mount: &'static str,
    /// The bootstrap's path in the zip.
    pub bootstrap: &'static str,
    /// The plugins' folder in the zip.
    pub plugins_dir: &'static str,
    /// The config file's path in the zip.
    pub config: &'static str,
}

impl Layout {
    /// The layout for `platform`; `None` for platforms without layers.
    pub fn of(platform: Platform) -> Option<Layout> {
        let bootstrap = match platform {
            Platform::AwsLambda => "bootstrap",
            Platform::AliyunFc | Platform::TencentScf => "bin/bootstrap",
            _ => return None,
        };
        Some(Layout {
            platform,
            mount: "/opt",
            bootstrap,
            plugins_dir: "light-runtime/plugins",
            config: CONFIG_FILE_NAME,
        })
    }
}

/// What goes into a layer.
#[derive(Debug, Clone)]
pub struct LayerSpec {
    /// The platform whose layout to use.
    pub platform: Platform,
    /// The plugins in order: `path` is the local file; `config` travels into
    /// the layer's config file unchanged.
    pub plugins: Vec<PluginEntry>,
    /// A prebuilt bootstrap to include.
    pub bootstrap: Option<PathBuf>,
}

impl LayerSpec {
    /// Starts from a template config file whose plugin paths are local
    /// files (absolute, or relative to the template's folder).
    pub fn from_template(platform: Platform, template: &Path) -> Result<LayerSpec, String> {
        let shown = template.display();
        let text = std::fs::read_to_string(template)
            .map_err(|e| format!("cannot read the plugin config template {shown}: {e}"))?;
        let file: PluginsFile = toml::from_str(&text)
            .map_err(|e| format!("the plugin config template {shown} is not valid: {e}"))?;
        let folder = template.parent().unwrap_or(Path::new("."));
        let plugins = file
            .plugins
            .into_iter()
            .map(|mut entry| {
                entry.path = folder.join(&entry.path).display().to_string();
                entry
            })
            .collect();
        Ok(LayerSpec {
            platform,
            plugins,
            bootstrap: None,
        })
    }
}

/// What [`write_layer`] wrote: the zip's entries, in order.
#[derive(Debug, Clone)]
pub struct LayerSummary {
    /// Each entry's path inside the zip.
    pub entries: Vec<String>,
}

/// Writes the layer zip for `spec` to `output`.
pub fn write_layer(spec: &LayerSpec, output: &Path) -> Result<LayerSummary, String> {
    let layout = Layout::of(spec.platform).ok_or_else(|| {
        format!(
            "{} has no layers to package for; use aws, fc or scf",
            spec.platform
        )
    })?;
    let mut entries = Vec::new();
    let mut config = PluginsFile::default();
    let mut files: Vec<(String, Vec<u8>, u32)> = Vec::new();
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
        files.push((in_zip, bytes, 0o755));
    }
    if let Some(bootstrap) = &spec.bootstrap {
        let bytes = std::fs::read(bootstrap)
            .map_err(|e| format!("cannot read bootstrap {}: {e}", bootstrap.display()))?;
        files.push((layout.bootstrap.to_owned(), bytes, 0o755));
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
        (header + &config_text).into_bytes(),
        0o644,
    ));

    let file = File::create(output)
        .map_err(|e| format!("cannot create the layer zip {}: {e}", output.display()))?;
    let mut zip = ZipWriter::new(file);
    let zip_error = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", output.display());
    let mut folders: Vec<String> = Vec::new();
    for (name, bytes, mode) in &files {
        let mut folder = String::new();
        for part in name
            .split('/')
            .rev()
            .skip(1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            folder.push_str(part);
            folder.push('/');
            if !folders.contains(&folder) {
                let options = SimpleFileOptions::default().unix_permissions(0o755);
                zip.add_directory(folder.as_str(), options)
                    .map_err(|e| zip_error(&e))?;
                entries.push(folder.clone());
                folders.push(folder.clone());
            }
        }
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(*mode);
        zip.start_file(name.as_str(), options)
            .map_err(|e| zip_error(&e))?;
        zip.write_all(bytes).map_err(|e| zip_error(&e))?;
        entries.push(name.clone());
    }
    zip.finish().map_err(|e| zip_error(&e))?;
    Ok(LayerSummary { entries })
}
