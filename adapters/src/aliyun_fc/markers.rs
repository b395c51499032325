//! The log marker lines FC cuts per-request logs with (reference 2.11):
//! `FC Invoke Start RequestId: <id>` … `FC Invoke End RequestId: <id>`.
//!
//! The Invoke and Initialize forms are documented; the PreFreeze and PreStop
//! forms follow them by analogy and are unconfirmed, as is whether FC reads
//! the `, Error: Unhandled function error` suffix (samples write it).

use std::io::Write;

/// What a marker frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framed {
    Invoke,
    Initialize,
    PreFreeze,
    PreStop,
}

impl Framed {
    /// `FC <what> Start RequestId: `, whole, so a line is three pieces.
    fn start(self) -> &'static str {
        match self {
            Framed::Invoke => "FC Invoke Start RequestId: ",
            Framed::Initialize => "FC Initialize Start RequestId: ",
            Framed::PreFreeze => "FC PreFreeze Start RequestId: ",
            Framed::PreStop => "FC PreStop Start RequestId: ",
        }
    }

    fn end(self) -> &'static str {
        match self {
            Framed::Invoke => "FC Invoke End RequestId: ",
            Framed::Initialize => "FC Initialize End RequestId: ",
            Framed::PreFreeze => "FC PreFreeze End RequestId: ",
            Framed::PreStop => "FC PreStop End RequestId: ",
        }
    }
}

/// Writes `FC <what> Start RequestId: <id>` as one line.
pub(crate) fn start(out: &mut impl Write, what: Framed, request_id: &str) {
    write_line(out, what.start(), request_id, "\n");
}

/// Writes `FC <what> End RequestId: <id>`, with the failure suffix if `failed`.
pub(crate) fn end(out: &mut impl Write, what: Framed, request_id: &str, failed: bool) {
    let suffix = if failed {
        ", Error: Unhandled function error\n"
    } else {
        "\n"
    };
    write_line(out, what.end(), request_id, suffix);
}

/// Writes the line with one `write_all`: two of these run per invocation,
/// so the line is put together on the stack rather than through the
/// formatting machinery (measurably cheaper) and reaches the log whole.
fn write_line(out: &mut impl Write, prefix: &str, request_id: &str, suffix: &str) {
    let mut line = [0u8; 256];
    let (head, id_end) = (prefix.len(), prefix.len() + request_id.len());
    let Some(slot) = line.get_mut(..id_end + suffix.len()) else {
        // An unusually long request id: allocate once.
        let _ = out.write_all([prefix, request_id, suffix].concat().as_bytes());
        return;
    };
    slot[..head].copy_from_slice(prefix.as_bytes());
    slot[head..id_end].copy_from_slice(request_id.as_bytes());
    slot[id_end..].copy_from_slice(suffix.as_bytes());
    let _ = out.write_all(slot);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_request_ids_still_make_one_line() {
        let mut out = Vec::new();
        let id = "x".repeat(400);
        start(&mut out, Framed::Invoke, &id);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("FC Invoke Start RequestId: {id}\n")
        );
    }

    #[test]
    fn lines_follow_the_documented_form() {
        let mut out = Vec::new();
        start(&mut out, Framed::Invoke, "r-1");
        end(&mut out, Framed::Invoke, "r-1", false);
        end(&mut out, Framed::Invoke, "r-2", true);
        start(&mut out, Framed::Initialize, "r-3");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "FC Invoke Start RequestId: r-1\n\
             FC Invoke End RequestId: r-1\n\
             FC Invoke End RequestId: r-2, Error: Unhandled function error\n\
             FC Initialize Start RequestId: r-3\n"
        );
    }
}
