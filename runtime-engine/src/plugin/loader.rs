//! [`load`]: the checks a shared library passes before its code runs in the
//! runtime, and [`PluginError`], the reason one was refused.

use std::ffi::c_void;
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use libloading::Library;

use super::abi::{self, ByteSlice, EntryFn, PluginTable, ABI_VERSION, ENTRY_SYMBOL};
use super::handed_back::HandedBack;
use super::hook::PluginHook;

/// Why a plugin was refused; [`Display`](fmt::Display) names the file, the
/// reason and what to do.
#[derive(Debug)]
pub struct PluginError {
    path: PathBuf,
    reason: Reason,
}

#[derive(Debug)]
enum Reason {
    Relative,
    Missing,
    Unreadable(std::io::Error),
    NotAFile,
    WritableByOthers { what: PathBuf, mode: u32 },
    Unloadable(String),
    MissingSymbol,
    NoTable,
    AbiVersion(u32),
    Malformed(String),
    CreateFailed { name: String, message: String },
}

impl PluginError {
    /// The plugin file, as configured.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path was relative.
    pub fn is_relative(&self) -> bool {
        matches!(self.reason, Reason::Relative)
    }

    /// No file at the path.
    pub fn is_missing(&self) -> bool {
        matches!(self.reason, Reason::Missing)
    }

    /// The file or a folder above it is writable by others.
    pub fn is_writable_by_others(&self) -> bool {
        matches!(self.reason, Reason::WritableByOthers { .. })
    }

    /// The library does not export the entry symbol.
    pub fn is_missing_symbol(&self) -> bool {
        matches!(self.reason, Reason::MissingSymbol)
    }

    /// The plugin was built for another ABI version.
    pub fn is_abi_mismatch(&self) -> bool {
        matches!(self.reason, Reason::AbiVersion(_))
    }

    /// The plugin loaded but its `create` function failed.
    pub fn is_create_failed(&self) -> bool {
        matches!(self.reason, Reason::CreateFailed { .. })
    }

    fn new(path: &Path, reason: Reason) -> Self {
        PluginError {
            path: path.to_owned(),
            reason,
        }
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        if let Reason::CreateFailed { name, message } = &self.reason {
            return write!(
                f,
                "plugin `{name}` ({path}) failed to start: {message}; check its configuration"
            );
        }
        write!(f, "plugin {path} refused: ")?;
        match &self.reason {
            Reason::Relative => write!(
                f,
                "the path is relative; give an absolute path, so the file loaded does not \
                 depend on the working directory or the loader's search path"
            ),
            Reason::Missing => write!(f, "there is no such file; check the configured path"),
            Reason::Unreadable(error) => write!(f, "it cannot be read: {error}"),
            Reason::NotAFile => write!(f, "it is not a regular file"),
            Reason::WritableByOthers { what, mode } => write!(
                f,
                "{} {} is writable by others (mode {:o}), so anyone on the machine could \
                 replace the plugin's code; remove that permission (chmod o-w)",
                if what.as_path() == self.path.as_path() {
                    "the file"
                } else {
                    "the folder"
                },
                what.display(),
                mode & 0o7777
            ),
            Reason::Unloadable(error) => write!(f, "the dynamic loader cannot open it: {error}"),
            Reason::MissingSymbol => write!(
                f,
                "it exports no `{ENTRY_SYMBOL}` symbol, so it is not a light-runtime plugin; \
                 build it with light-runtime-plugin-sdk's `export_plugin!` or as \
                 docs/plugin-abi.md describes"
            ),
            Reason::NoTable => write!(
                f,
                "its `{ENTRY_SYMBOL}` returned no table for ABI version {ABI_VERSION}"
            ),
            Reason::AbiVersion(found) => write!(
                f,
                "it was built for plugin ABI version {found}, but this runtime speaks version \
                 {ABI_VERSION}; rebuild the plugin against this runtime's plugin SDK or header"
            ),
            Reason::Malformed(what) => write!(f, "{what}"),
            Reason::CreateFailed { .. } => Ok(()),
        }
    }
}

impl std::error::Error for PluginError {}

/// Loads the plugin at `path` and makes its instance with `config` (JSON
/// text, or empty for none).
///
/// The plugin is refused, with a [`PluginError`] naming the file and the
/// reason, when the path is relative, no file is there, the file or its
/// folder (or a folder above without the sticky bit) is writable by others,
/// the library has no entry symbol, or it was built for another ABI version.
///
/// A loaded library stays mapped until the process exits: a Rust plugin may
/// have registered thread-local destructors that must outlive every thread.
pub fn load(path: &Path, config: &str) -> Result<PluginHook, PluginError> {
    let refuse = |reason| PluginError::new(path, reason);
    if !path.is_absolute() {
        return Err(refuse(Reason::Relative));
    }
    let metadata = std::fs::metadata(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => refuse(Reason::Missing),
        _ => refuse(Reason::Unreadable(error)),
    })?;
    if !metadata.is_file() {
        return Err(refuse(Reason::NotAFile));
    }
    check_not_writable_by_others(path).map_err(refuse)?;

    // SAFETY: loading runs the library's initialisers. The checks above are
    // what we can do: the file is where configuration says and nobody but
    // its owner (root or the deployer) can have changed it.
    let library = unsafe { Library::new(path) }
        .map_err(|error| refuse(Reason::Unloadable(error.to_string())))?;
    // SAFETY: `EntryFn` is the type docs/plugin-abi.md fixes for this symbol
    // name; a library exporting the name with another type breaks the ABI.
    let entry = unsafe { library.get::<EntryFn>(ENTRY_SYMBOL.as_bytes()) }
        .map_err(|_| refuse(Reason::MissingSymbol))?;
    // SAFETY: calling the entry symbol as the ABI defines it.
    let table_ptr = unsafe { entry(ABI_VERSION) };
    if table_ptr.is_null() {
        return Err(refuse(Reason::NoTable));
    }
    // SAFETY: the ABI puts `abi_version` first in every version of the
    // table, so it can be read before we know the rest of the layout.
    let found = unsafe { table_ptr.cast::<u32>().read() };
    if found != ABI_VERSION {
        return Err(refuse(Reason::AbiVersion(found)));
    }
    // SAFETY: same ABI version, so the first field is followed by `size`.
    let size = unsafe { table_ptr.cast::<u32>().add(1).read() } as usize;
    if size < std::mem::size_of::<PluginTable>() {
        return Err(refuse(Reason::Malformed(format!(
            "its table is {size} bytes, smaller than the {} of ABI version {ABI_VERSION}",
            std::mem::size_of::<PluginTable>()
        ))));
    }
    // SAFETY: the table is at least as large as ours and of our version, and
    // the library (kept loaded below) keeps it alive.
    let table: PluginTable = unsafe { table_ptr.read() };
    // Never unload: see the function's docs.
    std::mem::forget(library);
    // SAFETY: the table's name and functions live in the library, which is
    // never unloaded.
    unsafe { load_table(path, table, config) }
}

/// The plugin `table` describes, made with `config`: what [`load`] does
/// once it has found the table, for a plugin whose table is already in
/// memory (a plugin linked into this binary, as the SDK's tests run one).
/// `path` names the plugin in errors and is not opened.
///
/// # Safety
/// The table's name and functions must stay valid for the process, and
/// behave as `docs/plugin-abi.md` says (the SDK's tables do).
pub unsafe fn load_table(
    path: &Path,
    table: PluginTable,
    config: &str,
) -> Result<PluginHook, PluginError> {
    let refuse = |reason| PluginError::new(path, reason);
    // SAFETY: the name lives as long as the table (this function's contract).
    let name = unsafe { table.name.as_bytes() };
    let name = match std::str::from_utf8(name) {
        Ok(name) if !name.trim().is_empty() => name.to_owned(),
        _ => {
            return Err(refuse(Reason::Malformed(
                "its name is empty or not UTF-8".into(),
            )))
        }
    };
    let Some(create) = table.create else {
        return Err(refuse(Reason::Malformed(format!(
            "plugin `{name}` has no `create` function"
        ))));
    };

    let mut handed_back = HandedBack::default();
    let mut output = handed_back.output();
    let mut instance: *mut c_void = std::ptr::null_mut();
    // SAFETY: `create` is the plugin's, with the arguments the ABI gives it:
    // its own `data`, borrowed config bytes and an output valid for the call.
    let status = unsafe {
        create(
            table.data,
            ByteSlice::from_str(config),
            &mut output,
            &mut instance,
        )
    };
    if status != abi::STATUS_CONTINUE {
        return Err(refuse(Reason::CreateFailed {
            name,
            message: handed_back.failure_message(status),
        }));
    }
    Ok(PluginHook::new(name, path.to_owned(), table, instance))
}

/// Refuses a file, its folder, or a folder above without the sticky bit
/// (which stops others renaming what they do not own, as in `/tmp`), that
/// others may write to.
fn check_not_writable_by_others(path: &Path) -> Result<(), Reason> {
    let real = std::fs::canonicalize(path).map_err(Reason::Unreadable)?;
    for (depth, ancestor) in real.ancestors().enumerate() {
        let mode = std::fs::metadata(ancestor)
            .map_err(Reason::Unreadable)?
            .permissions()
            .mode();
        let sticky = mode & 0o1000 != 0;
        if mode & 0o002 != 0 && (depth <= 1 || !sticky) {
            let what = if depth == 0 {
                path.to_owned()
            } else {
                ancestor.to_owned()
            };
            return Err(Reason::WritableByOthers { what, mode });
        }
    }
    Ok(())
}
