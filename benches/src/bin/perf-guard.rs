//! The performance guard `.ci/run` runs: the echo's instructions per
//! invocation under callgrind, on the same Lambda emulator as `e2e`, against
//! the figure recorded in `benches/perf-baseline.json` and against
//! `lambda_runtime`'s echo measured in the same run.
//!
//! It fails (exit 1) when light-runtime's echo costs more than the recorded
//! figure plus the allowed rise (15 %), in either of two run lengths, or more
//! than the allowed share of `lambda_runtime`'s instructions (0.40×). A
//! figure that drops is reported, so the baseline can be lowered by hand.
//!
//! It builds nothing. From the workspace root:
//!
//! ```text
//! cargo build --release --example echo -p light-runtime-examples
//! cargo build --release -p light-runtime-benches --bins
//! cargo run --release -p light-runtime-benches --bin perf-guard
//! ```
//!
//! Options: `--baseline FILE` (default `benches/perf-baseline.json` under
//! the workspace root), `--bin-dir DIR` (default: this program's directory).
//!
//! Why two run lengths: the per-invocation figure is the difference of two
//! whole-process counts, `(I(long) − I(short)) / (long − short)`, so init
//! and exit cancel out. Two such differences over different spans
//! (50→250 and 250→1250 invocations) catch a cost that grows with the
//! number of invocations served (a leak, a growing table) as well as a
//! flat one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use light_runtime_benches::bootstrap::{Bootstrap, Kind};
use light_runtime_benches::callgrind::valgrind_version;
use light_runtime_benches::measure::{self, Payload};
use serde_json::Value;

/// The three run lengths; the two spans between them are checked.
const LENGTHS: [usize; 3] = [50, 250, 1250];

/// What `perf-baseline.json` records.
struct Baseline {
    /// light-runtime's echo, instructions per invocation.
    echo: f64,
    /// The allowed rise over `echo`, as a fraction (0.15 is 15 %).
    allowed_rise: f64,
    /// The largest allowed ratio of light-runtime's echo to lambda_runtime's.
    max_ratio_to_lambda_runtime: f64,
}

fn read_baseline(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the baseline {}: {error}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|error| format!("{} is not JSON: {error}", path.display()))?;
    let number = |key: &str| {
        value[key]
            .as_f64()
            .ok_or_else(|| format!("{}: `{key}` is missing or not a number", path.display()))
    };
    Ok(Baseline {
        echo: number("echo_instructions_per_invocation")?,
        allowed_rise: number("allowed_rise")?,
        max_ratio_to_lambda_runtime: number("max_ratio_to_lambda_runtime")?,
    })
}

/// Instructions per invocation over each span of [`LENGTHS`].
fn per_invocation(bootstrap: &Bootstrap, work_dir: &Path) -> Result<Vec<f64>, String> {
    let payload = Payload::new(serde_json::json!({"hello": "world", "n": 1}));
    measure::per_invocation("perf-guard", bootstrap, &payload, &LENGTHS, work_dir)
}

fn run() -> Result<bool, String> {
    let mut args = std::env::args().skip(1);
    let mut baseline_path = None;
    let mut bin_dir = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--baseline" => {
                baseline_path = Some(PathBuf::from(args.next().ok_or("--baseline needs a file")?))
            }
            "--bin-dir" => {
                bin_dir = Some(PathBuf::from(
                    args.next().ok_or("--bin-dir needs a directory")?,
                ))
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`; see the module docs of perf-guard.rs"
                ))
            }
        }
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("the benches crate has no parent folder")?;
    let baseline_path =
        baseline_path.unwrap_or_else(|| workspace.join("benches/perf-baseline.json"));
    let baseline = read_baseline(&baseline_path)?;
    let bin_dir = match bin_dir {
        Some(dir) => dir,
        None => std::env::current_exe()
            .map_err(|error| format!("cannot find this program's directory: {error}"))?
            .parent()
            .map(Path::to_path_buf)
            .ok_or("this program has no parent directory")?,
    };
    valgrind_version().ok_or("valgrind is not installed (apt-get install -y valgrind)")?;
    let work_dir = bin_dir.parent().unwrap_or(&bin_dir).join("perf-guard");
    std::fs::create_dir_all(&work_dir)
        .map_err(|error| format!("cannot create {}: {error}", work_dir.display()))?;

    let ours = per_invocation(&Bootstrap::locate(&bin_dir, Kind::LightRuntime)?, &work_dir)?;
    let theirs = per_invocation(
        &Bootstrap::locate(&bin_dir, Kind::LambdaRuntime)?,
        &work_dir,
    )?;
    let limit = baseline.echo * (1.0 + baseline.allowed_rise);
    let mut passed = true;
    println!(
        "echo, instructions per invocation (baseline {:.0} in {}, limit {limit:.0}):",
        baseline.echo,
        baseline_path.display()
    );
    for (span, (ours, theirs)) in LENGTHS.windows(2).zip(ours.iter().zip(&theirs)) {
        let ratio = ours / theirs;
        let over_baseline = *ours > limit;
        let over_ratio = ratio > baseline.max_ratio_to_lambda_runtime;
        println!(
            "  {:>4} -> {:>4} invocations: light-runtime {ours:>8.0} ({:+.1} % vs baseline), \
             lambda_runtime {theirs:>8.0}, ratio {ratio:.3}x (limit {:.2}x){}",
            span[0],
            span[1],
            (ours / baseline.echo - 1.0) * 100.0,
            baseline.max_ratio_to_lambda_runtime,
            if over_baseline || over_ratio {
                "  FAIL"
            } else {
                ""
            }
        );
        passed &= !over_baseline && !over_ratio;
        if *ours < baseline.echo * (1.0 - baseline.allowed_rise) {
            println!(
                "  note: more than {:.0} % under the baseline; lower it in {} if this holds",
                baseline.allowed_rise * 100.0,
                baseline_path.display()
            );
        }
    }
    Ok(passed)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("perf-guard: the echo's instructions per invocation rose past a limit");
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("perf-guard: {message}");
            ExitCode::from(2)
        }
    }
}
