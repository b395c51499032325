//! Writing a serialised capture to its [`Sink`]: a folder (one file each,
//! bounded count), stdout (one prefixed line), or an HTTP endpoint.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use light_runtime_http_client::Connection;

use super::config::Sink;

/// What starts a capture's line on stdout, so log pipelines can pick it.
pub const STDOUT_PREFIX: &str = "LIGHT_RUNTIME_CAPTURE ";

/// Writes `json` for `request_id` captured at `stamp` (`20261204T122824.123Z`).
pub(crate) async fn write(
    sink: &Sink,
    stamp: &str,
    request_id: &str,
    json: &[u8],
    timeout: Duration,
) -> Result<String, String> {
    match sink {
        Sink::Dir { path, max_files } => write_file(path, *max_files, stamp, request_id, json),
        Sink::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(STDOUT_PREFIX.as_bytes())
                .and_then(|()| out.write_all(json))
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.flush())
                .map_err(|e| format!("writing a capture to stdout: {e}"))?;
            Ok("stdout".into())
        }
        Sink::Http {
            method,
            authority,
            path,
        } => {
            let send = async {
                let mut connection = Connection::connect(authority).await?;
                connection
                    .request(
                        method,
                        &[path.as_str()],
                        &[("Content-Type", "application/json")],
                        json,
                    )
                    .await
            };
            match tokio::time::timeout(timeout, send).await {
                Err(_) => Err(format!(
                    "{method} http://{authority}{path}: no answer within {timeout:?}"
                )),
                Ok(Err(e)) => Err(format!("{method} http://{authority}{path}: {e}")),
                Ok(Ok(response)) if (200..300).contains(&response.status) => {
                    Ok(format!("http://{authority}{path}"))
                }
                Ok(Ok(response)) => Err(format!(
                    "{method} http://{authority}{path}: answered {}",
                    response.status
                )),
            }
        }
    }
}

fn write_file(
    dir: &Path,
    max_files: usize,
    stamp: &str,
    request_id: &str,
    json: &[u8],
) -> Result<String, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("creating capture folder {}: {e}", dir.display()))?;
    let safe_id: String = request_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let name = format!("{stamp}-{safe_id}.json");
    let file = dir.join(&name);
    // Written whole under a temporary name, then renamed, so a reader never
    // sees half a capture.
    let partial = dir.join(format!(".{name}.partial"));
    std::fs::write(&partial, json)
        .and_then(|()| std::fs::rename(&partial, &file))
        .map_err(|e| format!("writing capture {}: {e}", file.display()))?;
    prune(dir, max_files);
    Ok(file.display().to_string())
}

/// Keeps the newest `max_files` captures (names start with their time).
fn prune(dir: &Path, max_files: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .collect();
    if names.len() <= max_files {
        return;
    }
    names.sort();
    for old in &names[..names.len() - max_files] {
        let _ = std::fs::remove_file(dir.join(old));
    }
}
