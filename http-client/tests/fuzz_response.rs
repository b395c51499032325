//! A seeded fuzz target, on the stable toolchain, for the parser the Runtime
//! API feeds: `Connection`'s response head and body parse, chunked decoding
//! included, and the header scan of an unreadable response.
//!
//! Valid responses are built, then mutated (bytes flipped, inserted,
//! removed, sizes made huge, pieces repeated, the input cut). Properties:
//! nothing panics; a parsed response's body is within the limit and its
//! headers slice inside its head; every strict prefix of a valid response
//! asks for more bytes instead of returning a response; an unmodified
//! response parses back to its body.
//!
//! `LIGHT_RUNTIME_FUZZ_CASES` sets the number of cases (default 100 000,
//! about a second in a debug build), `LIGHT_RUNTIME_FUZZ_SECONDS` a time
//! to run instead (the case count is printed), `LIGHT_RUNTIME_FUZZ_SEED`
//! the seed.
//! `docs/reliability.md` records the long runs.

use light_runtime_http_client::connection::{parse_for_fuzzing, MAX_BODY, MAX_HEAD};
use light_runtime_http_client::{UnreadableKind, UnreadableResponse};

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A valid response and the body it carries.
fn valid(rng: &mut Rng) -> (Vec<u8>, Vec<u8>) {
    let body: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
    let mut head = format!(
        "HTTP/1.1 {} OK\r\n",
        [200, 202, 400, 413, 500][rng.below(5)]
    );
    for i in 0..rng.below(8) {
        head.push_str(&format!("Lambda-Runtime-X{i}: value-{}\r\n", rng.next()));
    }
    if rng.below(4) == 0 {
        head.push_str("Connection: close\r\n");
    }
    let mut bytes;
    if rng.below(2) == 0 {
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        bytes = head.into_bytes();
        bytes.extend_from_slice(&body);
    } else {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
        bytes = head.into_bytes();
        let mut rest = &body[..];
        while !rest.is_empty() {
            let size = 1 + rng.below(rest.len());
            let extension = if rng.below(3) == 0 { ";name=value" } else { "" };
            bytes.extend_from_slice(format!("{size:x}{extension}\r\n").as_bytes());
            bytes.extend_from_slice(&rest[..size]);
            bytes.extend_from_slice(b"\r\n");
            rest = &rest[size..];
        }
        bytes.extend_from_slice(b"0\r\n");
        if rng.below(3) == 0 {
            bytes.extend_from_slice(b"Trailer-Name: x\r\n");
        }
        bytes.extend_from_slice(b"\r\n");
    }
    (bytes, body)
}

const NASTY: [&[u8]; 11] = [
    b"ffffffffffffffff",
    b"\r\n",
    b"\r\n\r\n",
    b":",
    b"ffffffffffffffffffff",
    b"18446744073709551615",
    b"Content-Length: 99999999999\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"\0",
    b" ",
    b"HTTP/1.1 200 OK\r\n",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(input.len() + 1);
        match rng.below(6) {
            0 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
            1 => input.insert(at, rng.next() as u8),
            2 if at < input.len() => {
                input.remove(at);
            }
            3 => {
                let piece = NASTY[rng.below(NASTY.len())];
                input.splice(at..at, piece.iter().copied());
            }
            4 => input.truncate(at),
            _ => {
                let end = (at + rng.below(32)).min(input.len());
                let piece = input[at..end].to_vec();
                input.splice(at..at, piece);
            }
        }
    }
}

fn check(input: &[u8]) {
    if let Ok(Some(response)) = parse_for_fuzzing(input) {
        assert!(response.body.len() <= MAX_BODY);
        assert!(response.head.len() <= MAX_HEAD);
        for (name, value) in response.headers() {
            assert!(name.len() + value.len() <= response.head.len());
        }
    }
    let unreadable = UnreadableResponse {
        head: bytes::Bytes::copy_from_slice(&input[..input.len().min(MAX_HEAD)]),
        kind: UnreadableKind::Malformed,
        reason: String::new(),
    };
    let _ = unreadable.header("Lambda-Runtime-Aws-Request-Id");
}

#[test]
fn fuzz_response_parsing() {
    let cases = env_number("LIGHT_RUNTIME_FUZZ_CASES", 100_000);
    let seed = env_number("LIGHT_RUNTIME_FUZZ_SEED", 0x5EED_1234_ABCD_0001);
    let seconds = env_number("LIGHT_RUNTIME_FUZZ_SECONDS", 0);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut rng = Rng(seed | 1);
    let mut case = 0_u64;
    while if seconds > 0 {
        case % 1024 != 0 || std::time::Instant::now() < until
    } else {
        case < cases
    } {
        case += 1;
        let (valid, body) = valid(&mut rng);
        if case % 16 == 0 {
            let parsed = parse_for_fuzzing(&valid)
                .unwrap()
                .expect("a whole response");
            assert_eq!(&parsed.body[..], &body[..]);
            for _ in 0..4 {
                let cut = rng.below(valid.len());
                assert!(
                    parse_for_fuzzing(&valid[..cut]).unwrap().is_none(),
                    "a strict prefix is not a response: {:?}",
                    String::from_utf8_lossy(&valid[..cut])
                );
            }
        }
        let mut input = valid;
        mutate(&mut rng, &mut input);
        check(&input);
        if case % 8 == 0 {
            let noise: Vec<u8> = (0..rng.below(256)).map(|_| rng.next() as u8).collect();
            check(&noise);
        }
    }
    eprintln!("fuzz_response_parsing: {case} cases, seed {seed:#x}, no failure");
}
