//! The package's sources, watched: a change anywhere below its folder
//! except `target/` and hidden folders (`.git`), debounced so that one save
//! (or a formatter touching several files) is one rebuild.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use notify::{Event, EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// How long the sources must be quiet before a change is acted on.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// A watch on a package's folder.
#[derive(Debug)]
pub struct Sources {
    // Dropping the watcher stops the events.
    _watcher: notify::RecommendedWatcher,
    changes: mpsc::UnboundedReceiver<PathBuf>,
}

impl Sources {
    /// Watches `dir` recursively.
    pub fn watch(dir: &Path) -> Result<Sources, String> {
        let (sender, changes) = mpsc::unbounded_channel();
        let root = dir.to_owned();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
            let Ok(event) = event else { return };
            if matches!(event.kind, EventKind::Access(_) | EventKind::Other) {
                return;
            }
            for path in event.paths {
                if is_source(&root, &path) {
                    let _ = sender.send(path);
                }
            }
        })
        .map_err(|error| format!("cannot watch {}: {error}", dir.display()))?;
        watcher
            .watch(dir, RecursiveMode::Recursive)
            .map_err(|error| format!("cannot watch {}: {error}", dir.display()))?;
        Ok(Sources {
            _watcher: watcher,
            changes,
        })
    }

    /// Waits for a change, then for [`DEBOUNCE`] of quiet; the first path
    /// changed. `None` if the watch ended.
    pub async fn changed(&mut self) -> Option<PathBuf> {
        let first = self.changes.recv().await?;
        loop {
            match tokio::time::timeout(DEBOUNCE, self.changes.recv()).await {
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return Some(first),
            }
        }
    }
}

/// Whether a change to `path` is a change to the package's sources: not
/// under `target/` or a hidden folder of `root`, and not an editor's swap
/// or backup file.
fn is_source(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let hidden_or_target = relative.components().any(|component| match component {
        Component::Normal(name) => {
            let name = name.to_string_lossy();
            name == "target" || name.starts_with('.')
        }
        _ => false,
    });
    let name = relative
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let scratch = name.ends_with('~') || name.ends_with(".swp") || name.ends_with(".tmp");
    !hidden_or_target && !scratch
}

#[cfg(test)]
mod tests {
    use super::is_source;
    use std::path::Path;

    #[test]
    fn targets_hidden_folders_and_editor_files_are_not_sources() {
        let root = Path::new("/p");
        assert!(is_source(root, Path::new("/p/src/main.rs")));
        assert!(is_source(root, Path::new("/p/Cargo.toml")));
        assert!(!is_source(root, Path::new("/p/target/debug/x")));
        assert!(!is_source(root, Path::new("/p/.git/index")));
        assert!(!is_source(root, Path::new("/p/src/.main.rs.swp")));
        assert!(!is_source(root, Path::new("/p/src/main.rs~")));
        assert!(!is_source(root, Path::new("/elsewhere/main.rs")));
    }
}
