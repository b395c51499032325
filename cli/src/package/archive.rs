//! The layer's zip: each folder as its own entry, mode 0755, before its
//! files (so no folder's mode is left to the unzip tool); unix modes kept
//! (the runtime refuses plugins others can write, scripts must be
//! executable); the `light-runtime` command streamed from its file rather
//! than held in memory.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A file of the layer: its bytes, or a local file copied as it is (the
/// `light-runtime` command is large; it is streamed into the zip).
pub(crate) enum Content {
    /// Bytes made or read by the packager.
    Bytes(Vec<u8>),
    /// A local file, copied as it is.
    File(PathBuf),
}

/// Writes `files` to the zip `output`, each folder as its own entry first,
/// and returns the entries in order.
pub(crate) fn write_zip(
    files: &[(String, Content, u32)],
    output: &Path,
) -> Result<Vec<String>, String> {
    let file = File::create(output)
        .map_err(|e| format!("cannot create the layer zip {}: {e}", output.display()))?;
    let mut zip = ZipWriter::new(file);
    let zip_error = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", output.display());
    let mut entries = Vec::new();
    let mut folders: Vec<String> = Vec::new();
    for (name, content, mode) in files {
        let mut folder = String::new();
        let parts: Vec<&str> = name.split('/').collect();
        for part in &parts[..parts.len() - 1] {
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
        match content {
            Content::Bytes(bytes) => zip.write_all(bytes).map_err(|e| zip_error(&e))?,
            Content::File(path) => {
                let mut source =
                    File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                std::io::copy(&mut source, &mut zip).map_err(|e| zip_error(&e))?;
            }
        }
        entries.push(name.clone());
    }
    zip.finish().map_err(|e| zip_error(&e))?;
    Ok(entries)
}
