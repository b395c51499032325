//! What the comparison programs of issue 13 (`proxy-overhead`,
//! `proxy-cold-start`, `web-vs-adapter`) read from their command line, and
//! where they find binaries and write their files.

use std::path::{Path, PathBuf};

use crate::bootstrap::{Bootstrap, Kind};

/// The option naming another `light-runtime` binary than the release
/// directory's (a branch's build, say).
const LIGHT_RUNTIME: &str = "--light-runtime";

/// The command line of a comparison program.
#[derive(Debug, Clone)]
pub struct BenchArgs {
    program: &'static str,
    args: Vec<String>,
}

impl BenchArgs {
    /// This process's arguments, for `program` (named in the errors). Every
    /// argument must be `--check`, `--light-runtime PATH` or one of
    /// `numbers` followed by a number.
    pub fn from_env(program: &'static str, numbers: &[&str]) -> Result<Self, String> {
        Self::parse(program, std::env::args().skip(1).collect(), numbers)
    }

    /// [`from_env`](Self::from_env) on `args`, the program's name left out.
    pub fn parse(
        program: &'static str,
        args: Vec<String>,
        numbers: &[&str],
    ) -> Result<Self, String> {
        let mut at = 0;
        while at < args.len() {
            match args[at].as_str() {
                "--check" => at += 1,
                name if name == LIGHT_RUNTIME || numbers.contains(&name) => at += 2,
                other => {
                    return Err(format!(
                        "unknown argument `{other}`; {program} takes --check, \
                         {LIGHT_RUNTIME} PATH and {} N",
                        numbers.join(" N, ")
                    ))
                }
            }
        }
        Ok(BenchArgs { program, args })
    }

    /// Whether `--check` was given: fail when a target is missed.
    pub fn check(&self) -> bool {
        self.args.iter().any(|arg| arg == "--check")
    }

    /// The positive number after `name`, or `default`.
    pub fn number(&self, name: &str, default: usize) -> Result<usize, String> {
        match self.args.iter().position(|arg| arg == name) {
            None => Ok(default),
            Some(at) => self
                .args
                .get(at + 1)
                .and_then(|value| value.parse().ok())
                .filter(|&value| value > 0)
                .ok_or_else(|| format!("{}: {name} needs a positive number", self.program)),
        }
    }

    /// The `light-runtime` binary to run as `kind`: `--light-runtime PATH`,
    /// else the release directory's.
    pub fn light_runtime(&self, kind: Kind) -> Result<Bootstrap, String> {
        match self.args.iter().position(|arg| arg == LIGHT_RUNTIME) {
            None => Bootstrap::locate(&self.release_dir()?, kind),
            Some(at) => {
                let path = self
                    .args
                    .get(at + 1)
                    .map(PathBuf::from)
                    .filter(|path| path.is_file())
                    .ok_or_else(|| {
                        format!(
                            "{}: {LIGHT_RUNTIME} needs the path of a light-runtime binary",
                            self.program
                        )
                    })?;
                Ok(Bootstrap::new(kind, path))
            }
        }
    }

    /// The directory of this program's binary, the release directory where
    /// the other binaries are.
    pub fn release_dir(&self) -> Result<PathBuf, String> {
        std::env::current_exe()
            .map_err(|error| format!("cannot find this program's directory: {error}"))?
            .parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| "this program has no parent directory".to_owned())
    }

    /// A folder named after the program beside the release directory, for
    /// its logs and callgrind out files; created if missing.
    pub fn work_dir(&self) -> Result<PathBuf, String> {
        let release = self.release_dir()?;
        let dir = release.parent().unwrap_or(&release).join(self.program);
        std::fs::create_dir_all(&dir)
            .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
        Ok(dir)
    }
}

/// The folder of the benches crate (`benches/` in the workspace), where
/// `python/handler.py` is.
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[cfg(test)]
mod tests {
    use super::BenchArgs;

    fn parse(args: &[&str]) -> Result<BenchArgs, String> {
        let args = args.iter().map(|arg| arg.to_string()).collect();
        BenchArgs::parse("bench", args, &["--rounds"])
    }

    #[test]
    fn check_numbers_and_defaults() {
        let args = parse(&["--rounds", "7", "--check"]).unwrap();
        assert!(args.check());
        assert_eq!(args.number("--rounds", 3), Ok(7));
        let args = parse(&[]).unwrap();
        assert!(!args.check());
        assert_eq!(args.number("--rounds", 3), Ok(3));
    }

    #[test]
    fn bad_arguments_are_named() {
        let error = parse(&["--round", "7"]).unwrap_err();
        assert!(error.contains("`--round`"), "{error}");
        let args = parse(&["--rounds", "none"]).unwrap();
        let error = args.number("--rounds", 3).unwrap_err();
        assert!(
            error.contains("--rounds needs a positive number"),
            "{error}"
        );
        let args = parse(&["--rounds", "0"]).unwrap();
        assert!(args.number("--rounds", 3).is_err());
    }

    #[test]
    fn another_light_runtime_must_exist() {
        let args = parse(&["--light-runtime", "/no/such/light-runtime"]).unwrap();
        let error = args
            .light_runtime(crate::bootstrap::Kind::WebAxum)
            .unwrap_err();
        assert!(error.contains("--light-runtime needs the path"), "{error}");
    }
}
