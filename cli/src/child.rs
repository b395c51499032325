//! The function's own process, for `proxy` and `web`: started in its own
//! process group, watched until it exits, stopped with a grace period, and
//! never left behind.
//!
//! The child leads a new process group so that a shell wrapper's children
//! (`sh -c 'python3 app.py'`) are signalled and killed with it, as a
//! platform resets a whole sandbox, and so that a Ctrl-C at a terminal
//! reaches only the runtime, which forwards it in order.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::sync::watch;

/// What to run: the program, its arguments and changes to the environment
/// it inherits.
#[derive(Debug, Clone)]
pub struct ChildCommand {
    program: OsString,
    args: Vec<OsString>,
    set: Vec<(OsString, OsString)>,
    removed: Vec<OsString>,
}

impl ChildCommand {
    /// The command `argv` (the program first), as given after `--`.
    pub fn new(argv: &[OsString]) -> Result<Self, String> {
        let (program, args) = argv
            .split_first()
            .ok_or("no command given: put the function's command after `--`")?;
        Ok(ChildCommand {
            program: program.clone(),
            args: args.to_vec(),
            set: Vec::new(),
            removed: Vec::new(),
        })
    }

    /// Sets `key` to `value` in the child's environment.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.set.push((key.into(), value.into()));
        self
    }

    /// Removes `key` from the child's environment.
    pub fn env_remove(mut self, key: impl Into<OsString>) -> Self {
        self.removed.push(key.into());
        self
    }

    /// Without the runtime's own hook plugins and layers: `proxy` and
    /// `web` run them around each invocation already, and a light-runtime
    /// function as the child would run them a second time. An empty plugin
    /// list also keeps it from finding `light-runtime.toml` in the code or
    /// layer folder.
    pub fn without_runtime_config(self) -> Self {
        self.env(light_runtime::plugins::PLUGINS_VAR, "")
            .env_remove(light_runtime::plugins::CONFIG_VAR)
            .env_remove(light_runtime::plugins::LAYER_DIR_VAR)
            .env_remove("LIGHT_RUNTIME_LAYERS")
    }

    /// The command line as a user would read it, for messages.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|part| part.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Starts the command with stdin closed and stdout and stderr shared
    /// with the runtime (so the platform collects the function's logs).
    pub fn spawn(&self) -> io::Result<Child> {
        self.spawn_with_output(Stdio::inherit(), Stdio::inherit())
    }

    /// Starts the command with stdin closed and stdout and stderr sent to
    /// `stdout` and `stderr` (`emulate` reads them to tell each
    /// invocation's log lines).
    pub fn spawn_with_output(&self, stdout: Stdio, stderr: Stdio) -> io::Result<Child> {
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0)
            .kill_on_drop(true);
        for key in &self.removed {
            command.env_remove(key);
        }
        for (key, value) in &self.set {
            command.env(key, value);
        }
        let mut child = command.spawn().map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot start `{}`: {error}", self.display()),
            )
        })?;
        let pid = child
            .id()
            .ok_or_else(|| io::Error::other("the child exited before its id was read"))?;
        let (sender, exit) = watch::channel(None);
        // The waiter owns the process: it reaps it, and dropping it (at the
        // runtime's exit) kills it.
        tokio::spawn(async move {
            let status = child.wait().await;
            let _ = sender.send(Some(match status {
                Ok(status) => Exit(Some(status)),
                Err(_) => Exit(None),
            }));
        });
        Ok(Child {
            pid: Pid::from_raw(pid as i32),
            exit,
        })
    }
}

/// A running (or exited) child process group. Dropping it kills the group.
#[derive(Debug)]
pub struct Child {
    pid: Pid,
    exit: watch::Receiver<Option<Exit>>,
}

impl Child {
    /// The child's process id (also its process group's).
    pub fn id(&self) -> u32 {
        self.pid.as_raw() as u32
    }

    /// How the child ended, if it has.
    pub fn exit(&self) -> Option<Exit> {
        *self.exit.borrow()
    }

    /// Resolves when the child has exited, with how it ended.
    pub async fn exited(&self) -> Exit {
        let mut exit = self.exit.clone();
        let exit = match exit.wait_for(Option::is_some).await {
            Ok(exit) => exit.unwrap_or(Exit(None)),
            // The waiter is gone only when the tokio runtime shuts down.
            Err(_) => Exit(None),
        };
        exit
    }

    /// Sends `signal` to the child's process group, unless it has exited
    /// (its id may then be someone else's).
    pub fn signal(&self, signal: Signal) {
        if self.exit().is_none() {
            let _ = killpg(self.pid, signal);
        }
    }

    /// Kills the child's process group at once (SIGKILL) and waits for it.
    pub async fn kill(&self) -> Exit {
        self.signal(Signal::SIGKILL);
        self.exited().await
    }

    /// Stops the child as a platform does: SIGTERM, up to `grace` for it
    /// to exit, then SIGKILL.
    pub async fn stop(&self, grace: Duration) -> Exit {
        self.signal(Signal::SIGTERM);
        match tokio::time::timeout(grace, self.exited()).await {
            Ok(exit) => exit,
            Err(_) => self.kill().await,
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.signal(Signal::SIGKILL);
    }
}

/// How a child ended: its exit status, when it could be read (the
/// default: it could not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exit(Option<ExitStatus>);

impl Exit {
    /// The exit status, if the child's end could be read.
    pub fn status(&self) -> Option<ExitStatus> {
        self.0
    }
}

impl fmt::Display for Exit {
    /// "exit status 3", "signal 9 (SIGKILL)", as Lambda words `Runtime.ExitError`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use std::os::unix::process::ExitStatusExt;
        match self.0 {
            Some(status) => match (status.code(), status.signal()) {
                (Some(code), _) => write!(f, "exit status {code}"),
                (None, Some(number)) => match Signal::try_from(number) {
                    Ok(signal) => write!(f, "signal {number} ({})", signal.as_str()),
                    Err(_) => write!(f, "signal {number}"),
                },
                (None, None) => write!(f, "{status}"),
            },
            None => f.write_str("an unknown status"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(script: &str) -> ChildCommand {
        ChildCommand::new(&["sh".into(), "-c".into(), script.into()]).unwrap()
    }

    #[tokio::test]
    async fn an_exit_status_and_a_signal_are_told_as_lambda_tells_them() {
        let child = command("exit 3").spawn().unwrap();
        let exit = tokio::time::timeout(Duration::from_secs(10), child.exited())
            .await
            .unwrap();
        assert_eq!(exit.to_string(), "exit status 3");

        let child = command("sleep 30").spawn().unwrap();
        let exit = tokio::time::timeout(Duration::from_secs(10), child.kill())
            .await
            .unwrap();
        assert_eq!(exit.to_string(), "signal 9 (SIGKILL)");
    }

    #[tokio::test]
    async fn stop_sends_sigterm_then_kills_after_the_grace() {
        // Exits on SIGTERM within the grace.
        let child = command("trap 'exit 0' TERM; while :; do sleep 0.05; done")
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let exit =
            tokio::time::timeout(Duration::from_secs(10), child.stop(Duration::from_secs(5)))
                .await
                .unwrap();
        assert_eq!(exit.to_string(), "exit status 0");

        // Ignores SIGTERM: killed when the grace is over.
        let child = command("trap '' TERM; while :; do sleep 0.05; done")
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let exit = tokio::time::timeout(
            Duration::from_secs(10),
            child.stop(Duration::from_millis(300)),
        )
        .await
        .unwrap();
        assert_eq!(exit.to_string(), "signal 9 (SIGKILL)");
    }

    #[tokio::test]
    async fn the_environment_is_changed_as_asked_and_a_missing_program_is_named() {
        std::env::set_var("LIGHT_RUNTIME_CHILD_TEST_REMOVED", "1");
        let child = command(r#"[ "$ADDED" = yes ] && [ -z "$LIGHT_RUNTIME_CHILD_TEST_REMOVED" ]"#)
            .env("ADDED", "yes")
            .env_remove("LIGHT_RUNTIME_CHILD_TEST_REMOVED")
            .spawn()
            .unwrap();
        let exit = tokio::time::timeout(Duration::from_secs(10), child.exited())
            .await
            .unwrap();
        assert_eq!(exit.to_string(), "exit status 0");

        let error = ChildCommand::new(&["/nonexistent/bootstrap".into()])
            .unwrap()
            .spawn()
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("cannot start `/nonexistent/bootstrap`"),
            "{error}"
        );
        assert!(ChildCommand::new(&[]).unwrap_err().contains("after `--`"));
    }
}
