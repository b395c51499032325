//! What to emulate: the platform ([`EmulatedPlatform`]) and the function's
//! configuration as the platform's console would hold it ([`EmulationSpec`]).

use std::ffi::OsString;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The platform a bootstrap is run as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmulatedPlatform {
    /// AWS Lambda, custom runtime: the bootstrap pulls events from the
    /// Runtime API (`AWS_LAMBDA_RUNTIME_API`).
    Aws,
    /// Alibaba Function Compute 3.0, custom runtime: the bootstrap is an HTTP
    /// server on `FC_CUSTOM_LISTEN_PORT`, called on `/invoke`.
    Fc,
    /// Tencent SCF event function, custom runtime: the bootstrap posts
    /// `init/ready` and pulls events (`SCF_RUNTIME_API`).
    Scf,
    /// Tencent SCF web function: the bootstrap is an HTTP server (port 9000
    /// on SCF; here `LIGHT_RUNTIME_PORT`).
    ScfWeb,
    /// A plain-HTTP platform (Cloud Run, Knative): an HTTP server on `$PORT`.
    Http,
}

impl EmulatedPlatform {
    /// Every platform, in the order `--help` lists them.
    pub const ALL: [EmulatedPlatform; 5] = [
        EmulatedPlatform::Aws,
        EmulatedPlatform::Fc,
        EmulatedPlatform::Scf,
        EmulatedPlatform::ScfWeb,
        EmulatedPlatform::Http,
    ];

    /// The name `--platform` takes.
    pub fn name(self) -> &'static str {
        match self {
            EmulatedPlatform::Aws => "aws",
            EmulatedPlatform::Fc => "fc",
            EmulatedPlatform::Scf => "scf",
            EmulatedPlatform::ScfWeb => "scf-web",
            EmulatedPlatform::Http => "http",
        }
    }

    /// Whether the bootstrap pulls its events (AWS, SCF): then one
    /// invocation at a time reaches it, and it is frozen once it asks for
    /// the next one.
    pub fn pulls(self) -> bool {
        matches!(self, EmulatedPlatform::Aws | EmulatedPlatform::Scf)
    }

    /// The function timeout a new function gets on the platform's console
    /// (Lambda 3 s, SCF 3 s, FC 60 s, Cloud Run 300 s). SCF web's is
    /// taken as SCF's (unconfirmed).
    pub fn default_timeout(self) -> Duration {
        match self {
            EmulatedPlatform::Aws | EmulatedPlatform::Scf | EmulatedPlatform::ScfWeb => {
                Duration::from_secs(3)
            }
            EmulatedPlatform::Fc => Duration::from_secs(60),
            EmulatedPlatform::Http => Duration::from_secs(300),
        }
    }

    /// How long the bootstrap has to become ready: Lambda's 10 s on-demand
    /// init; FC's 120 s for the server to listen; SCF's `InitTimeout`
    /// (its default is unconfirmed: 60 s assumed); Cloud Run's 240 s
    /// default startup probe for plain HTTP and SCF web (unconfirmed for
    /// SCF web).
    pub fn default_init_timeout(self) -> Duration {
        match self {
            EmulatedPlatform::Aws => Duration::from_secs(10),
            EmulatedPlatform::Fc => Duration::from_secs(120),
            EmulatedPlatform::Scf => Duration::from_secs(60),
            EmulatedPlatform::ScfWeb | EmulatedPlatform::Http => Duration::from_secs(240),
        }
    }

    /// The largest event the platform accepts on a synchronous call:
    /// Lambda and SCF 6 MB, FC 32 MB, Cloud Run 32 MiB.
    pub fn max_event_bytes(self) -> usize {
        match self {
            EmulatedPlatform::Aws | EmulatedPlatform::Scf => 6 * 1024 * 1024,
            EmulatedPlatform::Fc | EmulatedPlatform::ScfWeb | EmulatedPlatform::Http => {
                32 * 1024 * 1024
            }
        }
    }
}

impl fmt::Display for EmulatedPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EmulatedPlatform {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        let wanted = name.trim().to_ascii_lowercase();
        EmulatedPlatform::ALL
            .into_iter()
            .find(|platform| platform.name() == wanted)
            .ok_or_else(|| {
                format!("unknown platform `{name}`: emulate takes aws, fc, scf, scf-web or http")
            })
    }
}

/// A function to emulate: the bootstrap and the configuration the platform
/// would give it. Make one with [`EmulationSpec::new`], change the fields,
/// and pass it to [`Emulation::start`](super::Emulation::start).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EmulationSpec {
    /// The platform to run the bootstrap as.
    pub platform: EmulatedPlatform,
    /// The bootstrap and its arguments, the program first.
    pub command: Vec<OsString>,
    /// The invoke endpoint's port on 127.0.0.1 (0: any free port; the
    /// chosen one is [`Emulation::endpoint`](super::Emulation::endpoint)).
    pub port: u16,
    /// The function's name, in its environment and ARN.
    pub function: String,
    /// The memory size in MB the function is told.
    pub memory_mb: u32,
    /// The function timeout: an invocation not answered in this time fails
    /// with `Sandbox.Timedout` and the instance is reset.
    pub timeout: Duration,
    /// How long the bootstrap has to become ready (see
    /// [`EmulatedPlatform::default_init_timeout`]).
    pub init_timeout: Duration,
    /// Concurrent invocations one instance takes (FC and plain HTTP; pull
    /// platforms take one at a time, so it must be 1 there).
    pub concurrency: usize,
    /// Kill the instance (SIGKILL) after this long without an invocation;
    /// the next invocation starts a new one (a cold start).
    pub idle_kill: Option<Duration>,
    /// The port a push platform's function listens on (`None`: a free
    /// one, told to the function by the platform's variable).
    pub function_port: Option<u16>,
    /// Variables given to the function on top of the platform's, as
    /// `--env K=V` or the console's environment settings.
    pub env: Vec<(String, String)>,
    /// Whether to print each invocation's report, the init and idle logs
    /// and the instance's starts and stops on stdout (the `emulate`
    /// command does; a library caller reading [`Outcome`](super::Outcome)s
    /// may not want it).
    pub print: bool,
}

impl EmulationSpec {
    /// `command` run as `platform` with that platform's defaults: function
    /// `function`, 128 MB, the console's default timeout, one invocation at
    /// a time, no idle kill, the endpoint on port 9000, reports printed.
    pub fn new(platform: EmulatedPlatform, command: Vec<OsString>) -> Self {
        EmulationSpec {
            platform,
            command,
            port: 9000,
            function: "function".to_owned(),
            memory_mb: 128,
            timeout: platform.default_timeout(),
            init_timeout: platform.default_init_timeout(),
            concurrency: 1,
            idle_kill: None,
            function_port: None,
            env: Vec::new(),
            print: true,
        }
    }

    /// Checks what the platform itself would refuse.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.command.is_empty() {
            return Err("no bootstrap given: put its command after `--`".into());
        }
        if self.concurrency == 0 {
            return Err("--concurrency must be at least 1".into());
        }
        if self.platform.pulls() && self.concurrency > 1 {
            return Err(format!(
                "--concurrency {} on {}: an instance there takes one invocation at a time \
                 (its Runtime API has one `next` in flight); use fc or http for concurrent requests",
                self.concurrency, self.platform
            ));
        }
        if self.timeout.is_zero() {
            return Err("--timeout must be more than zero".into());
        }
        if self.function.is_empty()
            || !self
                .function
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "--function `{}`: a function name is letters, digits, `-` and `_`",
                self.function
            ));
        }
        for (key, _) in &self.env {
            if key.is_empty() || key.contains('=') {
                return Err(format!(
                    "--env `{key}`: a variable name is needed before `=`"
                ));
            }
        }
        Ok(())
    }
}

/// `K=V` from `--env`; the error names the value.
pub(crate) fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("--env `{text}`: write it as NAME=VALUE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_by_name_and_bad_ones_are_named() {
        for platform in EmulatedPlatform::ALL {
            assert_eq!(platform.name().parse::<EmulatedPlatform>(), Ok(platform));
        }
        assert_eq!("SCF-Web".parse(), Ok(EmulatedPlatform::ScfWeb));
        let error = "lambda".parse::<EmulatedPlatform>().unwrap_err();
        assert!(error.contains("unknown platform `lambda`"), "{error}");
    }

    #[test]
    fn a_spec_the_platform_would_refuse_is_refused_with_the_reason() {
        let mut spec = EmulationSpec::new(EmulatedPlatform::Aws, vec!["bootstrap".into()]);
        assert!(spec.validate().is_ok());
        spec.concurrency = 4;
        assert!(spec
            .validate()
            .unwrap_err()
            .contains("one invocation at a time"));
        spec.platform = EmulatedPlatform::Fc;
        assert!(spec.validate().is_ok());
        spec.function = "a b".into();
        assert!(spec.validate().unwrap_err().contains("--function `a b`"));
        spec.function = "orders".into();
        spec.command.clear();
        assert!(spec.validate().unwrap_err().contains("after `--`"));
        assert_eq!(parse_env("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert!(parse_env("=x").unwrap_err().contains("NAME=VALUE"));
        assert!(parse_env("novalue").unwrap_err().contains("`novalue`"));
    }
}
