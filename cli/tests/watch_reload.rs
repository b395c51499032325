//! `light-runtime watch` end to end on a tiny temporary cargo package (no
//! dependencies: a Lambda Runtime API loop over std, so it builds in about
//! a second): the first build served, a change rebuilt and swapped in while
//! the endpoint stays up, an invocation sent during the rebuild answered by
//! the new build, and a build error leaving the last good build serving.

mod emulate_support;

use std::path::Path;

use emulate_support::Emulate;

/// A function answering `{"version": VERSION}` to every event.
fn function_source(version: &str) -> String {
    r##"use std::io::{Read, Write};
use std::net::TcpStream;

fn call(api: &str, method: &str, path: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(api).expect("connect to the Runtime API");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {api}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

fn main() {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap();
    loop {
        let reply = call(&api, "GET", "/2018-06-01/runtime/invocation/next", b"");
        let id = reply
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("lambda-runtime-aws-request-id")
                    .then(|| value.trim().to_owned())
            })
            .unwrap();
        let path = format!("/2018-06-01/runtime/invocation/{id}/response");
        call(&api, "POST", &path, br#"{"version":"VERSION"}"#);
    }
}
"##
    .replace("VERSION", version)
}

fn write_package(dir: &Path, version: &str) {
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"watched\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/main.rs"), function_source(version)).unwrap();
}

#[test]
fn a_change_is_rebuilt_and_served_and_a_broken_build_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    write_package(dir.path(), "one");
    let watch = Emulate::watch(dir.path(), &["--platform", "aws"]);
    assert_eq!(watch.invoke("{}").json()["version"], "one");

    // A save: the rebuild holds invocations, so one sent now is answered by
    // the new build, by a new instance.
    std::fs::write(dir.path().join("src/main.rs"), function_source("two")).unwrap();
    watch.wait_line("changed: rebuilding");
    let during = watch.invoke("{}");
    assert_eq!(during.json()["version"], "two", "{during:?}");
    assert!(during.cold(), "the new build starts a new instance");
    watch.wait_line("the new build serves from now on");

    // A broken save: the error is reported and the last good build serves.
    std::fs::write(dir.path().join("src/main.rs"), "fn main() { broken }").unwrap();
    watch.wait_line("still serving the last good build");
    let after = watch.invoke("{}");
    assert_eq!(after.json()["version"], "two");

    let status = watch.interrupt();
    assert!(status.success(), "{status}");
}
