//! The cloud-layer package as a platform would use it: `light-runtime
//! package` writes the zip, the test unpacks it into a folder laid out like
//! the platform's filesystem (`<tmp>/opt`, `<tmp>/var/task`), and runs the
//! echo example as the layer's bootstrap against the Lambda emulator, with
//! the audit and policy plugins active from the layer.

#[path = "../../light-runtime/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn package(platform: &str, template: &Path, bootstrap: &Path, output: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_light-runtime"))
        .args(["package", "--platform", platform, "--config"])
        .arg(template)
        .arg("--bootstrap")
        .arg(bootstrap)
        .arg("--output")
        .arg(output)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "light-runtime package --platform {platform} failed"
    );
}

fn unzip(zip: &Path, into: &Path) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let names = archive.file_names().map(str::to_owned).collect();
    std::fs::create_dir_all(into).unwrap();
    archive.extract(into).unwrap();
    names
}

/// Stops the bootstrap with SIGTERM and waits for it, within [`WAIT`].
async fn terminate(mut child: Child) -> std::process::ExitStatus {
    // SAFETY: kill(2) on the pid of a child we started and have not reaped.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0, "SIGTERM sent");
    let waited = tokio::task::spawn_blocking(move || child.wait());
    tokio::time::timeout(WAIT, waited)
        .await
        .expect("bootstrap exits after SIGTERM")
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_layer_runs_echo_with_its_plugins_from_opt() {
    let work = support::private_dir();
    let audit_log = work.path().join("audit.log");
    // The template names local builds; the packager copies them into the
    // layer and rewrites each path to `{config_dir}/light-runtime/plugins/...`.
    let template = work.path().join("plugins.toml");
    std::fs::write(
        &template,
        format!(
            "[[plugins]]\npath = {:?}\nconfig = {{ path = {:?} }}\n\n\
             [[plugins]]\npath = {:?}\n[[plugins.config.rules]]\npointer = \"/action\"\nequals = \"delete\"\n",
            support::rust_plugin("audit"),
            audit_log,
            support::rust_plugin("policy"),
        ),
    )
    .unwrap();
    let zip = work.path().join("layer-aws.zip");
    package("aws", &template, &support::echo_example(), &zip);

    let root = work.path().join("fs");
    let opt = root.join("opt");
    let names = unzip(&zip, &opt);
    for expected in [
        "bootstrap",
        "light-runtime.toml",
        "light-runtime/plugins/libaudit.so",
        "light-runtime/plugins/libpolicy.so",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let config = std::fs::read_to_string(opt.join("light-runtime.toml")).unwrap();
    assert!(
        config.contains("{config_dir}/light-runtime/plugins/libaudit.so"),
        "{config}"
    );
    let task_root = root.join("var/task");
    std::fs::create_dir_all(&task_root).unwrap();

    let emulator = LambdaEmulator::start().await.unwrap();
    let child = Command::new(opt.join("bootstrap"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env("AWS_LAMBDA_FUNCTION_NAME", "echo")
        .env("LAMBDA_TASK_ROOT", &task_root)
        .env("LIGHT_RUNTIME_LAYER_DIR", &opt)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();

    let read = emulator.push(Event::json(json!({"action": "read"})));
    let result = emulator.result(&read, WAIT).await.expect("echo answers");
    assert_eq!(result.body_json().unwrap(), json!({"action": "read"}));
    let delete = emulator.push(Event::json(json!({"action": "delete"})));
    let rejected = emulator
        .result(&delete, WAIT)
        .await
        .expect("policy answers");
    assert_eq!(rejected.error_type(), Some("Policy.Rejected"));
    assert!(emulator.wait_next_waiting(1, WAIT).await);
    let status = terminate(child).await;
    assert!(status.success(), "orderly exit: {status}");

    let audit: Vec<Value> = std::fs::read_to_string(&audit_log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(audit[0]["request_id"], read.as_str());
    assert_eq!(audit[1]["request_id"], delete.as_str());
    assert_eq!(audit[1]["error_type"], "Policy.Rejected");
}

#[test]
fn fc_and_scf_layers_put_the_bootstrap_in_bin() {
    let work = support::private_dir();
    let template = work.path().join("plugins.toml");
    std::fs::write(
        &template,
        format!("[[plugins]]\npath = {:?}\n", support::rust_plugin("noop")),
    )
    .unwrap();
    let bootstrap = work.path().join("bootstrap");
    std::fs::write(&bootstrap, "#!/bin/sh\n").unwrap();
    for platform in ["fc", "scf"] {
        let zip = work.path().join(format!("layer-{platform}.zip"));
        package(platform, &template, &bootstrap, &zip);
        let names = unzip(&zip, &work.path().join(platform));
        for expected in [
            "bin/bootstrap",
            "light-runtime.toml",
            "light-runtime/plugins/libnoop.so",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{platform}: {expected} in {names:?}"
            );
        }
    }
}
