//! Seeded fuzz cases for the parsers push platforms feed (FC's headers,
//! CloudEvents, request ids), run as ordinary tests on the stable
//! toolchain: each case is [`arbitrary`] input drawn from a seeded
//! generator, so a failure names the seed that reproduces it.
//!
//! `LIGHT_RUNTIME_FUZZ_CASES` sets the number of cases per target (default
//! 20 000, about a second); `LIGHT_RUNTIME_FUZZ_SEED` the first seed.

use arbitrary::Unstructured;
use http::{HeaderMap, HeaderName, HeaderValue};

/// Runs `check` on [`LIGHT_RUNTIME_FUZZ_CASES`] inputs, each from its own
/// seed; a panic says which seed.
pub(crate) fn run(target: &str, check: impl Fn(&mut Unstructured<'_>)) {
    let cases: u64 = env_number("LIGHT_RUNTIME_FUZZ_CASES").unwrap_or(20_000);
    let first: u64 = env_number("LIGHT_RUNTIME_FUZZ_SEED").unwrap_or(1);
    for seed in first..first + cases {
        let bytes = random_bytes(seed, 64 + (seed % 1024) as usize);
        let mut input = Unstructured::new(&bytes);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&mut input)));
        if outcome.is_err() {
            panic!("fuzz target {target} failed; reproduce with LIGHT_RUNTIME_FUZZ_SEED={seed} LIGHT_RUNTIME_FUZZ_CASES=1");
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

/// `length` bytes from xorshift64* seeded with `seed`.
fn random_bytes(seed: u64, length: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..length)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// A header map: names mostly from `known` (what the parser looks for),
/// some arbitrary; values arbitrary bytes, kept when HTTP allows them,
/// often a mutation of `typical` values.
pub(crate) fn headers(input: &mut Unstructured<'_>, known: &[&str], typical: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let count = input.int_in_range(0..=12u8).unwrap_or(0);
    for _ in 0..count {
        let name = if input.ratio(4, 5u8).unwrap_or(true) {
            (*input.choose(known).unwrap_or(&"x")).to_owned()
        } else {
            let raw: String = input.arbitrary().unwrap_or_default();
            raw.to_ascii_lowercase()
        };
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        let value = text(input, typical);
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            headers.append(name, value);
        }
    }
    headers
}

/// Bytes that are one of `typical`, one of them cut or with bytes added,
/// or arbitrary.
pub(crate) fn text(input: &mut Unstructured<'_>, typical: &[&str]) -> Vec<u8> {
    let base = input.choose(typical).map_or(&b""[..], |t| t.as_bytes());
    match input.int_in_range(0..=3u8).unwrap_or(0) {
        0 => base.to_vec(),
        1 => {
            let cut = input.int_in_range(0..=base.len()).unwrap_or(0);
            base[..cut].to_vec()
        }
        2 => {
            let mut more = base.to_vec();
            let extra: Vec<u8> = input.arbitrary().unwrap_or_default();
            more.extend_from_slice(&extra);
            more
        }
        _ => input.arbitrary().unwrap_or_default(),
    }
}
