//! [`Freezer`]: what a platform does to an instance between requests, done
//! to a function process from outside: freeze it (`SIGSTOP`), thaw it
//! (`SIGCONT`) and reclaim it (`SIGKILL`, no `SIGTERM` first, as when a
//! frozen instance is recycled).
//!
//! Alibaba FC 3.0, Cloud Run (CPU outside requests) and SCF web functions
//! stop an instance between requests without telling it; a test (and
//! `light-runtime emulate`) puts a function process under one of the push
//! emulators and freezes it around each request with this.
//!
//! Linux only for [`wait_frozen`](Freezer::wait_frozen): it reads the
//! process state from `/proc`.
//!
//! ```no_run
//! use std::time::Duration;
//! use light_runtime_emulators::freezer::Freezer;
//!
//! let child = std::process::Command::new("bootstrap").spawn().unwrap();
//! let freezer = Freezer::new(child.id());
//! freezer.freeze().unwrap();
//! assert!(freezer.wait_frozen(Duration::from_secs(5)));
//! freezer.thaw().unwrap();
//! freezer.reclaim().unwrap();
//! ```

use std::io;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Freezes, thaws and reclaims one process; see the module docs.
#[derive(Debug, Clone, Copy)]
pub struct Freezer {
    pid: Pid,
}

impl Freezer {
    /// The process `pid` (as [`std::process::Child::id`] gives it).
    pub fn new(pid: u32) -> Self {
        let pid = i32::try_from(pid).expect("a process id fits in a pid_t");
        Freezer {
            pid: Pid::from_raw(pid),
        }
    }

    /// Stops the process (`SIGSTOP`): it cannot catch or see it.
    pub fn freeze(&self) -> io::Result<()> {
        self.signal(Signal::SIGSTOP)
    }

    /// Resumes a stopped process (`SIGCONT`).
    pub fn thaw(&self) -> io::Result<()> {
        self.signal(Signal::SIGCONT)
    }

    /// Kills the process (`SIGKILL`), frozen or not, with no chance to
    /// shut down.
    pub fn reclaim(&self) -> io::Result<()> {
        self.signal(Signal::SIGKILL)
    }

    /// Waits up to `timeout` until the process is stopped (a signal is
    /// delivered asynchronously); `false` if it was not by then.
    pub fn wait_frozen(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.is_frozen() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Whether the process is stopped now: state `T` in `/proc/<pid>/stat`.
    pub fn is_frozen(&self) -> bool {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) else {
            return false;
        };
        // `pid (command) state ...`: the command may hold spaces and
        // parentheses, so the state follows the last `)`.
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state == 'T')
    }

    fn signal(&self, signal: Signal) -> io::Result<()> {
        kill(self.pid, signal).map_err(|errno| {
            io::Error::new(
                io::Error::from(errno).kind(),
                format!("sending {signal} to process {}: {errno}", self.pid),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freezes_thaws_and_reclaims_a_real_process() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep is installed");
        let freezer = Freezer::new(child.id());
        assert!(!freezer.is_frozen());
        freezer.freeze().unwrap();
        assert!(freezer.wait_frozen(Duration::from_secs(5)), "stopped");
        freezer.thaw().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while freezer.is_frozen() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(!freezer.is_frozen(), "running again");
        freezer.reclaim().unwrap();
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL");
        assert!(
            freezer.freeze().is_err(),
            "a reaped process cannot be signalled"
        );
    }
}
