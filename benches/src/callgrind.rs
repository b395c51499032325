//! Reading a callgrind out file: the total of its first event (`Ir`,
//! instructions executed, unless other events were asked for).

use std::path::Path;

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
    use super::parse_total;

    #[test]
    fn totals_win_over_summary() {
        let text = "version: 1\nevents: Ir\nsummary: 1200\nfn=main\n3 4\ntotals: 1234\n";
        assert_eq!(parse_total(text), Some(1234));
        assert_eq!(parse_total("events: Ir\nsummary: 99 1\n"), Some(99));
        assert_eq!(parse_total("events: Ir\n"), None);
    }
}
