//! The CPU time of a process and of every process below it, read from
//! `/proc`: what a bootstrap that starts a child (proxy mode, web mode)
//! costs as a whole, beside what its own process costs.
//!
//! Each thread's time comes from `/proc/<pid>/task/<tid>/schedstat`, in
//! nanoseconds, rather than `utime + stime` of `/proc/<pid>/stat`, counted
//! in clock ticks of 10 ms: a few hundred invocations of an echo cost a few
//! such ticks, too coarse to difference. A thread that has exited is no
//! longer counted, so a figure is read while the processes are idle in
//! `next`, and the harness differences two readings of the same processes.

use std::collections::HashMap;
use std::time::Duration;

/// CPU time used so far by a process and its descendants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeCpu {
    /// The process itself, all its threads.
    pub own: Duration,
    /// The process and every descendant.
    pub total: Duration,
    /// How many processes `total` counts.
    pub processes: usize,
}

impl TreeCpu {
    /// The CPU used between `earlier` and this reading.
    pub fn since(&self, earlier: &TreeCpu) -> TreeCpu {
        TreeCpu {
            own: self.own.saturating_sub(earlier.own),
            total: self.total.saturating_sub(earlier.total),
            processes: self.processes,
        }
    }
}

/// Reads the CPU time of `root` and its descendants now.
pub fn read(root: u32) -> Result<TreeCpu, String> {
    let own = process_cpu(root)
        .ok_or_else(|| format!("cannot read the CPU time of process {root} under /proc"))?;
    let parents = parents()?;
    let mut total = own;
    let mut processes = 1;
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (&pid, _) in parents.iter().filter(|(_, &ppid)| ppid == parent) {
            // A process that exited since the listing counts nothing.
            if let Some(cpu) = process_cpu(pid) {
                total += cpu;
                processes += 1;
            }
            frontier.push(pid);
        }
    }
    Ok(TreeCpu {
        own,
        total,
        processes,
    })
}

/// Every process's parent, from `/proc/<pid>/stat` (this kernel has no
/// `/proc/<pid>/task/<tid>/children` to walk down from the root).
fn parents() -> Result<HashMap<u32, u32>, String> {
    let entries =
        std::fs::read_dir("/proc").map_err(|error| format!("cannot list /proc: {error}"))?;
    let mut parents = HashMap::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some(ppid) = parent_in_stat(&stat) {
            parents.insert(pid, ppid);
        }
    }
    Ok(parents)
}

/// The parent pid in a `/proc/<pid>/stat` line: the second field after the
/// command, which is in parentheses and may itself hold spaces or `)`.
fn parent_in_stat(stat: &str) -> Option<u32> {
    let after_command = &stat[stat.rfind(')')? + 1..];
    after_command.split_whitespace().nth(1)?.parse().ok()
}

/// The CPU time of all live threads of `pid`.
fn process_cpu(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut nanos = 0u64;
    for task in tasks.flatten() {
        let Ok(schedstat) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        nanos += on_cpu_nanos(&schedstat).unwrap_or(0);
    }
    Some(Duration::from_nanos(nanos))
}

/// The first field of a `schedstat` line: nanoseconds spent on a CPU.
fn on_cpu_nanos(schedstat: &str) -> Option<u64> {
    schedstat.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_is_read_after_a_command_holding_spaces_and_parentheses() {
        let stat = "4242 (tokio (1) x) S 17 4242 4242 0 -1 4194560 0 0";
        assert_eq!(parent_in_stat(stat), Some(17));
        assert_eq!(parent_in_stat("garbage"), None);
    }

    #[test]
    fn schedstat_gives_nanoseconds_on_cpu() {
        assert_eq!(on_cpu_nanos("334139857 2387646 36\n"), Some(334_139_857));
        assert_eq!(on_cpu_nanos(""), None);
    }

    #[test]
    fn this_process_and_a_child_are_counted() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let me = std::process::id();
        let read = read(me);
        let _ = child.kill();
        let _ = child.wait();
        let read = read.expect("read the tree");
        assert!(read.processes >= 2, "{read:?}");
        assert!(read.own > Duration::ZERO);
        assert!(read.total >= read.own);
    }
}
