//! Reading a callgrind out file: the total of its first event (`Ir`,
//! instructions executed, unless other events were asked for).

use std::path::{Path, PathBuf};

/// The instruction total of the callgrind out file at `path`: its `totals:`
/// line, else its `summary:` line.
pub fn total_instructions(path: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read callgrind output {}: {error}", path.display()))?;
    parse_total(&text).ok_or_else(|| {
        format!(
            "callgrind output {} has no `totals:` or `summary:` line",
            path.display()
        )
    })
}

/// The out files `valgrind --trace-children=yes` wrote for the pattern
/// `<out_file>.%p`, one per process, by pid.
fn per_process_files(out_file: &Path) -> Result<Vec<(u32, PathBuf)>, String> {
    let dir = out_file.parent().unwrap_or(Path::new("."));
    let prefix = format!(
        "{}.",
        out_file
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| format!("{} has no file name", out_file.display()))?
    );
    let entries = std::fs::read_dir(dir)
        .map_err(|error| format!("cannot list {}: {error}", dir.display()))?;
    Ok(entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let pid = name.strip_prefix(&prefix)?.parse().ok()?;
            Some((pid, entry.path()))
        })
        .collect())
}

/// Removes the per-process out files an earlier run left for `out_file`.
pub fn remove_per_process(out_file: &Path) -> Result<(), String> {
    if !out_file.parent().unwrap_or(Path::new(".")).is_dir() {
        return Ok(());
    }
    for (_, path) in per_process_files(out_file)? {
        std::fs::remove_file(&path)
            .map_err(|error| format!("cannot remove {}: {error}", path.display()))?;
    }
    Ok(())
}

/// The instructions of a process tree traced with `--trace-children=yes`
/// and `--callgrind-out-file=<out_file>.%p`: the total of every process's
/// file, and that of `root`'s alone.
pub fn per_process_instructions(out_file: &Path, root: u32) -> Result<(u64, u64), String> {
    let files = per_process_files(out_file)?;
    let mut total = 0;
    let mut own = None;
    for (pid, path) in &files {
        let instructions = total_instructions(path)?;
        total += instructions;
        if *pid == root {
            own = Some(instructions);
        }
    }
    let own = own.ok_or_else(|| {
        format!(
            "no callgrind output {}.{root} for the process started",
            out_file.display()
        )
    })?;
    Ok((total, own))
}

/// The first number of the `totals:` line of a callgrind out file's text,
/// else of its `summary:` line.
pub fn parse_total(text: &str) -> Option<u64> {
    let first_number = |prefix: &str| {
        text.lines()
            .filter_map(|line| line.strip_prefix(prefix))
            .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
            .next_back()
    };
    first_number("totals:").or_else(|| first_number("summary:"))
}

/// `valgrind --version`, or `None` when valgrind is not installed.
pub fn valgrind_version() -> Option<String> {
    let output = std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::{parse_total, per_process_instructions};

    #[test]
    fn a_traced_tree_sums_every_process_and_names_the_root() {
        let dir = std::env::temp_dir().join(format!("callgrind-tree-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("callgrind.proxy.50.out");
        std::fs::write(dir.join("callgrind.proxy.50.out.100"), "totals: 70\n").unwrap();
        std::fs::write(dir.join("callgrind.proxy.50.out.101"), "totals: 30\n").unwrap();
        // Another length's file is not counted.
        std::fs::write(dir.join("callgrind.proxy.500.out.102"), "totals: 9\n").unwrap();
        assert_eq!(per_process_instructions(&out, 100), Ok((100, 70)));
        assert!(per_process_instructions(&out, 7).is_err());
        super::remove_per_process(&out).unwrap();
        assert!(!dir.join("callgrind.proxy.50.out.100").exists());
        assert!(dir.join("callgrind.proxy.500.out.102").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn totals_win_over_summary() {
        let text = "version: 1\nevents: Ir\nsummary: 1200\nfn=main\n3 4\ntotals: 1234\n";
        assert_eq!(parse_total(text), Some(1234));
        assert_eq!(parse_total("events: Ir\nsummary: 99 1\n"), Some(99));
        assert_eq!(parse_total("events: Ir\n"), None);
    }
}
