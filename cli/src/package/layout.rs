//! Where each file of a layer goes, per platform and mode, and how the
//! platform is told to start it.

use runtime_engine::Platform;

use light_runtime::plugins::CONFIG_FILE_NAME;

/// What a layer carries besides its plugins and their config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Plugins for functions built on light-runtime, and optionally a
    /// prebuilt `bootstrap`.
    Plugins,
    /// The `light-runtime` command and scripts that start `light-runtime
    /// proxy` around a function written for the Lambda Runtime API.
    Proxy,
    /// The `light-runtime` command and scripts that start `light-runtime
    /// web` around an HTTP server app.
    Web,
}

impl Mode {
    /// The subcommand the start scripts run, `None` for plugins.
    pub fn subcommand(self) -> Option<&'static str> {
        match self {
            Mode::Plugins => None,
            Mode::Proxy => Some("proxy"),
            Mode::Web => Some("web"),
        }
    }

    /// The function variable that may hold the function's command line.
    pub fn command_variable(self) -> Option<&'static str> {
        match self {
            Mode::Plugins => None,
            Mode::Proxy => Some("LIGHT_RUNTIME_PROXY_COMMAND"),
            Mode::Web => Some("LIGHT_RUNTIME_WEB_COMMAND"),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Plugins => "plugins",
            Mode::Proxy => "proxy",
            Mode::Web => "web",
        })
    }
}

/// A script in the layer that the platform (or the function's own
/// bootstrap) runs, which execs `light-runtime proxy|web` around the
/// function's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartScript {
    /// Its path in the zip.
    pub path: &'static str,
    /// How a user wires it into the function, one sentence.
    pub wiring: &'static str,
}

/// Where things go inside a layer zip for one platform and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The platform.
    pub platform: Platform,
    /// What the layer carries.
    pub mode: Mode,
    /// The folder the zip's root is extracted to.
    pub mount: &'static str,
    /// Where a prebuilt bootstrap goes (plugins mode only).
    pub bootstrap: Option<&'static str>,
    /// Where the `light-runtime` command goes (proxy and web modes).
    pub runtime: Option<&'static str>,
    /// The start scripts (proxy and web modes).
    pub scripts: &'static [StartScript],
    /// The plugins' folder in the zip.
    pub plugins_dir: &'static str,
    /// The config file's path in the zip.
    pub config: &'static str,
    /// The variable naming the function's code folder, and its usual value;
    /// a start script falls back to `run.sh` there.
    pub code_dir: (&'static str, &'static str),
}

const RUNTIME: &str = "bin/light-runtime";

const AWS_PROXY: &[StartScript] = &[
    StartScript {
        path: "light-runtime-wrapper",
        wiring: "managed runtimes (python3.x, nodejs, java): set the function variable \
                 AWS_LAMBDA_EXEC_WRAPPER=/opt/light-runtime-wrapper",
    },
    StartScript {
        path: "bootstrap",
        wiring: "provided.al2023 without a bootstrap of the function's own: Lambda runs \
                 /opt/bootstrap; the function's command is LIGHT_RUNTIME_PROXY_COMMAND or \
                 /var/task/run.sh",
    },
];

const AWS_WEB: &[StartScript] = &[StartScript {
    path: "bootstrap",
    wiring: "provided.al2023 without a bootstrap of the function's own: Lambda runs \
             /opt/bootstrap; the app's command is LIGHT_RUNTIME_WEB_COMMAND or \
             /var/task/run.sh, and it listens on $PORT",
}];

const FC_START: &[StartScript] = &[StartScript {
    path: "bin/light-runtime-start",
    wiring: "custom runtime: customRuntimeConfig.command [\"/opt/bin/light-runtime-start\"], \
             args the function's own command (or its variable, or /code/run.sh)",
}];

const SCF_PROXY: &[StartScript] = &[StartScript {
    path: "bin/bootstrap",
    wiring: "event function: the function's own bootstrap is \
             `#!/bin/sh` + `exec /opt/bin/bootstrap <its command>`",
}];

const SCF_WEB: &[StartScript] = &[StartScript {
    path: "bin/scf_bootstrap",
    wiring: "web function: the function's own scf_bootstrap is \
             `#!/bin/sh` + `exec /opt/bin/scf_bootstrap <its command>`",
}];

impl Layout {
    /// The layout for `platform` and `mode`; `None` for platforms without
    /// layers.
    pub fn of(platform: Platform, mode: Mode) -> Option<Layout> {
        let code_dir = match platform {
            Platform::AwsLambda => ("LAMBDA_TASK_ROOT", "/var/task"),
            Platform::AliyunFc => ("FC_FUNC_CODE_PATH", "/code"),
            Platform::TencentScf => ("USER_CODE_ROOT", "/var/user"),
            _ => return None,
        };
        let (bootstrap, scripts) = match (platform, mode) {
            (Platform::AwsLambda, Mode::Plugins) => (Some("bootstrap"), &[][..]),
            (_, Mode::Plugins) => (Some("bin/bootstrap"), &[][..]),
            (Platform::AwsLambda, Mode::Proxy) => (None, AWS_PROXY),
            (Platform::AwsLambda, Mode::Web) => (None, AWS_WEB),
            (Platform::AliyunFc, _) => (None, FC_START),
            (_, Mode::Proxy) => (None, SCF_PROXY),
            (_, Mode::Web) => (None, SCF_WEB),
        };
        Some(Layout {
            platform,
            mode,
            mount: "/opt",
            bootstrap,
            runtime: (mode != Mode::Plugins).then_some(RUNTIME),
            scripts,
            plugins_dir: "light-runtime/plugins",
            config: CONFIG_FILE_NAME,
            code_dir,
        })
    }
}
