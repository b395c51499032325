//! A fuzz target for `light-runtime.toml` on the stable toolchain: inputs
//! drawn by `arbitrary` from seeded pseudo-random bytes, fed to
//! [`plugins::parse_config`]. Parsing must never panic (nor overflow the
//! stack); a rejected file must be named in the error, with what is wrong.
//!
//! CI runs [`DEFAULT_CASES`] cases (a few seconds). To run long:
//! `LIGHT_RUNTIME_FUZZ_CASES=2000000 cargo test --release -p light-runtime
//! --all-features --test config_fuzz -- --nocapture`; `LIGHT_RUNTIME_FUZZ_SEED`
//! picks another sequence. A failure prints the seed, the case and its
//! input, so it can be replayed.

use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};
use light_runtime::plugins::{self, PluginSpec};

/// Cases per run unless `LIGHT_RUNTIME_FUZZ_CASES` says otherwise.
const DEFAULT_CASES: u64 = 3_000;

/// The file name every error must carry.
const FILE: &str = "/opt/layer/light-runtime.toml";

/// The pieces TOML and this file are made of, for inputs that get past the
/// lexer more often than random text does.
const TOKENS: &[&str] = &[
    "[[plugins]]",
    "[plugins]",
    "[[plugins.config]]",
    "[plugins.config]",
    "path",
    "config",
    "plugins",
    "other",
    " = ",
    "=",
    "\n",
    "\r\n",
    " ",
    "#",
    "\"/opt/light-runtime/plugins/libaudit.so\"",
    "\"{config_dir}/libaudit.so\"",
    "\"{config_dir}\"",
    "\"{config_dir}/../../etc\"",
    "'literal'",
    "\"\"",
    "\"\"\"",
    "'''",
    "\"\\u0000\"",
    "\"\\uD800\"",
    "\"\\\"",
    "{",
    "}",
    "{ path = \"/tmp/audit.log\" }",
    "[",
    "]",
    ",",
    ".",
    "a.b.c",
    "\"quoted key\"",
    "1",
    "-0",
    "+1_000",
    "0x7f",
    "1e400",
    "nan",
    "-inf",
    "3.14",
    "true",
    "false",
    "1979-05-27T07:32:00Z",
    "1979-05-27",
    "07:32:00",
    "é",
    "\u{feff}",
    "\0",
];

/// One input, in one of the shapes that find different bugs.
#[derive(Debug, Arbitrary)]
enum Input {
    /// Any text.
    Text(String),
    /// A sequence of tokens.
    Tokens(Vec<u8>),
    /// A valid file with a few bytes changed.
    Mutated(Vec<(u16, u8, Edit)>),
    /// Arrays or inline tables nested `depth` deep inside a plugin's config.
    Nested { depth: u16, tables: bool },
}

#[derive(Debug, Arbitrary)]
enum Edit {
    Insert,
    Replace,
    Remove,
}

const VALID: &str = r#"
[[plugins]]
path = "{config_dir}/light-runtime/plugins/libaudit.so"
config = { path = "/tmp/audit.log", level = 3, tags = ["a", "b"], when = 1979-05-27T07:32:00Z }

[[plugins]]
path = "/opt/light-runtime/plugins/libpolicy.so"
"#;

impl Input {
    fn text(&self) -> String {
        match self {
            Input::Text(text) => text.clone(),
            Input::Tokens(picks) => picks
                .iter()
                .map(|pick| TOKENS[usize::from(*pick) % TOKENS.len()])
                .collect(),
            Input::Mutated(edits) => {
                let mut bytes = VALID.as_bytes().to_vec();
                for (at, byte, edit) in edits {
                    let at = usize::from(*at) % (bytes.len() + 1);
                    match edit {
                        Edit::Insert => bytes.insert(at, *byte),
                        Edit::Replace if at < bytes.len() => bytes[at] = *byte,
                        Edit::Remove if at < bytes.len() => {
                            bytes.remove(at);
                        }
                        _ => {}
                    }
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Input::Nested { depth, tables } => nested(usize::from(*depth) % 2_000, *tables),
        }
    }
}

/// A plugin whose config is arrays (or inline tables) nested `depth` deep.
fn nested(depth: usize, tables: bool) -> String {
    let (open, close) = if tables { ("{ a = ", " }") } else { ("[", "]") };
    format!(
        "[[plugins]]\npath = \"/opt/p.so\"\nconfig = {}1{}\n",
        open.repeat(depth),
        close.repeat(depth)
    )
}

/// splitmix64: a seeded, reproducible stream of bytes for `arbitrary`.
struct Bytes(u64);

impl Bytes {
    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }
}

fn number_var(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a number")),
        Err(_) => default,
    }
}

/// What must hold for every input: no panic; an error names the file;
/// every plugin found is listed as coming from the file.
fn check(text: &str) -> Result<(), String> {
    let file = Path::new(FILE);
    let parsed = std::panic::catch_unwind(|| plugins::parse_config(text, file))
        .map_err(|_| "parse_config panicked".to_owned())?;
    match parsed {
        Ok(specs) => {
            let misnamed = specs
                .iter()
                .find(|spec: &&PluginSpec| spec.listed_in != FILE);
            match misnamed {
                Some(spec) => Err(format!("a plugin not listed as from the file: {spec:?}")),
                None => Ok(()),
            }
        }
        Err(message) if message.contains(FILE) && message.len() > FILE.len() + 10 => Ok(()),
        Err(message) => Err(format!("the error does not name the file: {message}")),
    }
}

#[test]
fn light_runtime_toml_parsing_never_panics_and_names_the_file() {
    let cases = number_var("LIGHT_RUNTIME_FUZZ_CASES", DEFAULT_CASES);
    let seed = number_var("LIGHT_RUNTIME_FUZZ_SEED", 0x6c69_6768_7472_746d);
    let mut source = Bytes(seed);
    let mut buffer = vec![0u8; 4096];
    let (mut with_plugins, mut empty, mut refused) = (0u64, 0u64, 0u64);
    for case in 0..cases {
        // Vary the length, so short inputs and long ones both occur.
        let length = 16 + (case as usize * 37) % (buffer.len() - 16);
        source.fill(&mut buffer[..length]);
        let mut unstructured = Unstructured::new(&buffer[..length]);
        let Ok(input) = Input::arbitrary(&mut unstructured) else {
            continue;
        };
        let text = input.text();
        if let Err(problem) = check(&text) {
            panic!("seed {seed}, case {case}: {problem}\ninput: {text:?}");
        }
        match plugins::parse_config(&text, Path::new(FILE)) {
            Ok(specs) if specs.is_empty() => empty += 1,
            Ok(_) => with_plugins += 1,
            Err(_) => refused += 1,
        }
    }
    eprintln!(
        "light-runtime.toml fuzz: {cases} cases, seed {seed}: {with_plugins} with plugins, \
         {empty} with none, {refused} refused"
    );
}

/// Inputs the generator may take long to reach.
#[test]
fn known_hard_inputs() {
    for text in [
        String::new(),
        "\u{feff}".to_owned(),
        "[[plugins]]".to_owned(),
        "[[plugins]]\npath = 1".to_owned(),
        "[[plugins]]\npath = \"/p.so\"\nconfig = nan".to_owned(),
        "[[plugins]]\npath = \"/p.so\"\nconfig = { x = nan }".to_owned(),
        "[[plugins]]\npath = \"/p.so\"\nconfig = 1979-05-27T07:32:00Z".to_owned(),
        "[[plugins]]\npath = \"/p.so\"\nunknown = 1".to_owned(),
        "plugins = 3".to_owned(),
        nested(64, false),
        nested(100_000, false),
        nested(100_000, true),
    ] {
        if let Err(problem) = check(&text) {
            panic!("{problem}\ninput: {:?}", &text[..text.len().min(200)]);
        }
    }
}
