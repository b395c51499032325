//! The proxy and web layers as the platforms unpack them: each layout's
//! entries and unix modes, every start script valid POSIX sh, and what the
//! scripts exec in each case (arguments, the command variable, `run.sh`)
//! and how they fail. A stand-in `light-runtime` records what it was started
//! with, so these tests need neither proxy nor web mode; the runs against
//! the emulators are in `cloud_layer_runs.rs`.

#[path = "../../light-runtime/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A `light-runtime` that writes its pid, `LIGHT_RUNTIME_LAYER_DIR` and
/// arguments, one a line, to `$RECORD`.
const STAND_IN: &str = "#!/bin/sh\n\
{ echo \"pid=$$\"; echo \"layer=${LIGHT_RUNTIME_LAYER_DIR:-}\"; \
for arg in \"$@\"; do echo \"arg=$arg\"; done; } > \"$RECORD\"\n";

fn package(args: &[&str], output: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_light-runtime"))
        .arg("package")
        .args(args)
        .arg("--output")
        .arg(output)
        .output()
        .unwrap()
}

fn package_ok(args: &[&str], output: &Path) {
    let out = package(args, output);
    assert!(
        out.status.success(),
        "light-runtime package {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Each entry of `zip` with its unix mode (permission bits).
fn entries(zip: &Path) -> BTreeMap<String, u32> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let entry = archive.by_index(i).unwrap();
            let mode = entry.unix_mode().expect("every entry has a unix mode") & 0o777;
            (entry.name().to_owned(), mode)
        })
        .collect()
}

fn read_entry(zip: &Path, name: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut bytes = Vec::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

fn unzip(zip: &Path, into: &Path) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    std::fs::create_dir_all(into).unwrap();
    archive.extract(into).unwrap();
}

fn stand_in(dir: &Path) -> PathBuf {
    let path = dir.join("light-runtime-stand-in");
    std::fs::write(&path, STAND_IN).unwrap();
    support::set_mode(&path, 0o755);
    path
}

/// Runs `script` with `args` and only the variables in `env` (and PATH),
/// within [`WAIT`]; its output and the pid it was started as.
fn run_script(
    script: &Path,
    args: &[&str],
    env: &[(&str, &OsStr)],
    record: &Path,
) -> (Output, u32) {
    let mut command = Command::new(script);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RECORD", record)
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = rx
        .recv_timeout(WAIT)
        .unwrap_or_else(|_| panic!("{} did not finish", script.display()))
        .unwrap();
    (output, pid)
}

/// The stand-in's record: its pid, the layer folder it saw, its arguments.
fn recorded(record: &Path) -> (String, String, Vec<String>) {
    let text = std::fs::read_to_string(record).expect("the stand-in light-runtime ran");
    let mut pid = String::new();
    let mut layer = String::new();
    let mut args = Vec::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("pid=") {
            pid = v.to_owned();
        } else if let Some(v) = line.strip_prefix("layer=") {
            layer = v.to_owned();
        } else if let Some(v) = line.strip_prefix("arg=") {
            args.push(v.to_owned());
        }
    }
    (pid, layer, args)
}

#[test]
fn each_layout_has_its_files_with_their_modes_and_valid_scripts() {
    let work = support::private_dir();
    let runtime = stand_in(work.path());
    let plugin = support::rust_plugin("noop");
    let plugin = plugin.to_str().unwrap();
    let cases: [(&str, &str, &[&str]); 6] = [
        ("aws", "proxy", &["light-runtime-wrapper", "bootstrap"]),
        ("aws", "web", &["bootstrap"]),
        ("fc", "proxy", &["bin/light-runtime-start"]),
        ("fc", "web", &["bin/light-runtime-start"]),
        ("scf", "proxy", &["bin/bootstrap"]),
        ("scf", "web", &["bin/scf_bootstrap"]),
    ];
    for (platform, mode, scripts) in cases {
        let zip = work.path().join(format!("{platform}-{mode}.zip"));
        package_ok(
            &[
                "--platform",
                platform,
                "--mode",
                mode,
                "--plugin",
                plugin,
                "--runtime",
                runtime.to_str().unwrap(),
            ],
            &zip,
        );
        let mut expected: BTreeMap<String, u32> = [
            ("bin/", 0o755),
            ("bin/light-runtime", 0o755),
            ("light-runtime/", 0o755),
            ("light-runtime/plugins/", 0o755),
            ("light-runtime/plugins/libnoop.so", 0o755),
            ("light-runtime.toml", 0o644),
        ]
        .into_iter()
        .map(|(name, mode)| (name.to_owned(), mode))
        .collect();
        for script in scripts {
            expected.insert((*script).to_owned(), 0o755);
        }
        assert_eq!(entries(&zip), expected, "{platform} {mode}");
        assert_eq!(
            read_entry(&zip, "bin/light-runtime"),
            STAND_IN.as_bytes(),
            "{platform} {mode}: the runtime is copied as it is"
        );

        let unpacked = work.path().join(format!("{platform}-{mode}"));
        unzip(&zip, &unpacked);
        for script in scripts {
            let path = unpacked.join(script);
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.starts_with("#!/bin/sh\n"), "{script}: {text}");
            assert!(!text.contains('\r'), "{script} has LF line endings only");
            assert!(
                text.contains(&format!("mode={mode}\n")),
                "{script} starts {mode} mode"
            );
            let mode_bits = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode_bits, 0o755, "{script} is executable once unzipped");
            let check = Command::new("sh").arg("-n").arg(&path).output().unwrap();
            assert!(
                check.status.success(),
                "sh -n {script}: {}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }
}

#[test]
fn the_layer_carries_the_running_command_unless_told_otherwise() {
    let work = support::private_dir();
    let zip = work.path().join("fc-web.zip");
    package_ok(&["--platform", "fc", "--mode", "web"], &zip);
    let packed = read_entry(&zip, "bin/light-runtime");
    let running = std::fs::read(env!("CARGO_BIN_EXE_light-runtime")).unwrap();
    assert!(packed == running, "bin/light-runtime is this very command");
}

#[test]
fn options_that_do_not_fit_the_mode_are_refused_with_the_reason() {
    let work = support::private_dir();
    let zip = work.path().join("layer.zip");
    let text_file = work.path().join("notes.txt");
    std::fs::write(&text_file, "not a program").unwrap();
    let bootstrap = work.path().join("bootstrap");
    std::fs::write(&bootstrap, "#!/bin/sh\n").unwrap();
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec![
                "--platform",
                "aws",
                "--mode",
                "proxy",
                "--bootstrap",
                bootstrap.to_str().unwrap(),
            ],
            "is for --mode plugins",
        ),
        (
            vec![
                "--platform",
                "aws",
                "--runtime",
                bootstrap.to_str().unwrap(),
            ],
            "is for --mode proxy or web",
        ),
        (
            vec![
                "--platform",
                "scf",
                "--mode",
                "web",
                "--runtime",
                text_file.to_str().unwrap(),
            ],
            "is not a Linux executable",
        ),
        (
            vec!["--platform", "aws", "--mode", "sidecar"],
            "invalid value 'sidecar'",
        ),
    ];
    for (args, reason) in cases {
        let out = package(&args, &zip);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} is refused");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
    }
}

/// One unpacked layer with the stand-in as its `light-runtime`.
struct Unpacked {
    _work: tempfile::TempDir,
    opt: PathBuf,
    code: PathBuf,
    record: PathBuf,
}

fn unpacked(platform: &str, mode: &str) -> Unpacked {
    let work = support::private_dir();
    let runtime = stand_in(work.path());
    let zip = work.path().join("layer.zip");
    package_ok(
        &[
            "--platform",
            platform,
            "--mode",
            mode,
            "--runtime",
            runtime.to_str().unwrap(),
        ],
        &zip,
    );
    let opt = work.path().join("fs/opt");
    unzip(&zip, &opt);
    let code = work.path().join("fs/code");
    std::fs::create_dir_all(&code).unwrap();
    Unpacked {
        record: work.path().join("record"),
        opt: opt.canonicalize().unwrap(),
        code,
        _work: work,
    }
}

#[test]
fn the_exec_wrapper_execs_proxy_mode_around_the_managed_runtime() {
    let layer = unpacked("aws", "proxy");
    // Lambda runs `wrapper <the managed runtime's bootstrap> <its args>`.
    let (out, started_as) = run_script(
        &layer.opt.join("light-runtime-wrapper"),
        &["python3", "-m", "awslambdaric", "layer_handler.handle"],
        &[],
        &layer.record,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (pid, seen_layer, args) = recorded(&layer.record);
    assert_eq!(
        pid,
        started_as.to_string(),
        "exec all the way: the runtime has the wrapper's pid, so signals reach it"
    );
    assert_eq!(
        Path::new(&seen_layer),
        layer.opt,
        "the layer finds its own folder"
    );
    assert_eq!(
        args,
        [
            "proxy",
            "--",
            "python3",
            "-m",
            "awslambdaric",
            "layer_handler.handle"
        ]
    );
}

#[test]
fn a_layer_folder_named_by_the_function_wins() {
    let layer = unpacked("aws", "proxy");
    let elsewhere = layer.code.join("opt-copy");
    std::fs::create_dir_all(elsewhere.join("bin")).unwrap();
    std::fs::copy(
        layer.opt.join("bin/light-runtime"),
        elsewhere.join("bin/light-runtime"),
    )
    .unwrap();
    let (out, _) = run_script(
        &layer.opt.join("light-runtime-wrapper"),
        &["python3"],
        &[("LIGHT_RUNTIME_LAYER_DIR", elsewhere.as_os_str())],
        &layer.record,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, seen_layer, _) = recorded(&layer.record);
    assert_eq!(Path::new(&seen_layer), elsewhere);
}

#[test]
fn the_web_bootstrap_runs_the_command_variable_through_sh() {
    let layer = unpacked("aws", "web");
    let (out, _) = run_script(
        &layer.opt.join("bootstrap"),
        &[],
        &[(
            "LIGHT_RUNTIME_WEB_COMMAND",
            OsStr::new("python3 -m http.server \"$PORT\""),
        )],
        &layer.record,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, _, args) = recorded(&layer.record);
    assert_eq!(
        args,
        [
            "web",
            "--",
            "/bin/sh",
            "-c",
            "exec python3 -m http.server \"$PORT\""
        ]
    );
}

#[test]
fn the_fc_start_command_falls_back_to_run_sh_in_the_code_folder() {
    let layer = unpacked("fc", "proxy");
    let run_sh = layer.code.join("run.sh");
    std::fs::write(
        &run_sh,
        "#!/bin/sh\nexec python3 -m awslambdaric index.handler\n",
    )
    .unwrap();
    support::set_mode(&run_sh, 0o755);
    let (out, _) = run_script(
        &layer.opt.join("bin/light-runtime-start"),
        &[],
        &[("FC_FUNC_CODE_PATH", layer.code.as_os_str())],
        &layer.record,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, seen_layer, args) = recorded(&layer.record);
    assert_eq!(
        Path::new(&seen_layer),
        layer.opt,
        "bin/ scripts look one folder up"
    );
    assert_eq!(args, ["proxy", "--", run_sh.to_str().unwrap()]);

    support::set_mode(&run_sh, 0o644);
    let (out, _) = run_script(
        &layer.opt.join("bin/light-runtime-start"),
        &[],
        &[("FC_FUNC_CODE_PATH", layer.code.as_os_str())],
        &layer.record,
    );
    assert_eq!(out.status.code(), Some(126));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{} is not executable", run_sh.display())),
        "{stderr}"
    );
}

#[test]
fn the_scripts_fail_clearly_when_a_file_is_missing() {
    // No command at all: arguments, variable and run.sh all absent.
    let layer = unpacked("scf", "web");
    let scf_bootstrap = layer.opt.join("bin/scf_bootstrap");
    let (out, _) = run_script(
        &scf_bootstrap,
        &[],
        &[("USER_CODE_ROOT", layer.code.as_os_str())],
        &layer.record,
    );
    assert_eq!(out.status.code(), Some(127));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("scf_bootstrap: no function command to start")
            && stderr.contains("LIGHT_RUNTIME_WEB_COMMAND")
            && stderr.contains(&format!("run.sh to {}", layer.code.display())),
        "{stderr}"
    );

    // The function's command is not there.
    let (out, _) = run_script(
        &scf_bootstrap,
        &["/var/user/no-such-app"],
        &[],
        &layer.record,
    );
    assert_eq!(out.status.code(), Some(127));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the function's command /var/user/no-such-app is missing"),
        "{stderr}"
    );
    let (out, _) = run_script(&scf_bootstrap, &["no-such-program"], &[], &layer.record);
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-program is not on PATH"));

    // The layer lost its light-runtime.
    std::fs::remove_file(layer.opt.join("bin/light-runtime")).unwrap();
    let (out, _) = run_script(&scf_bootstrap, &["python3"], &[], &layer.record);
    assert_eq!(out.status.code(), Some(127));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{} is missing or not executable",
            layer.opt.join("bin/light-runtime").display()
        )),
        "{stderr}"
    );
    assert!(!layer.record.exists(), "nothing was started");
}
