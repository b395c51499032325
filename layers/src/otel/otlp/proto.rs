//! [`Encoder`]: protobuf's wire format, written with prost's encoding
//! helpers straight into one reused buffer.
//!
//! Kept by hand on top of those helpers, because a benchmark says so:
//! prost's generated messages (`opentelemetry-proto`) need the whole tree
//! built from the SDK's data before a byte is written, and that conversion
//! alone cost 35,600 instructions per metrics export, paid at every
//! `Freeze` (callgrind, `e2e --full-stack`; `docs/design/otlp-export.md`).
//! The encoders here walk the SDK's data once and write each field as they
//! go. A nested message's length is not known before it is written, so a
//! one-byte placeholder is reserved and widened afterwards in the rare case
//! the message is 128 bytes or longer; nothing is encoded twice.
//!
//! The varints themselves are prost's, although its `encode_varint` is not
//! inlined: encoding a span costs about 2,580 instructions against 2,380
//! with the hand-written varint this replaced (callgrind, the `layers`
//! bench's `tracing` id exporting by OTLP). That is paid at `Freeze`, after
//! the response, and does not pay for a varint of our own.

use prost::encoding::{self, encode_key, encode_varint, encoded_len_varint, WireType};

/// Appends protobuf fields to a byte buffer. Scalar fields follow proto3
/// and omit the default value; the `_always` forms write it (a `oneof`
/// member or an `optional` field).
#[derive(Debug, Default)]
pub(crate) struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// An encoder that reuses `buf`'s allocation (its content is cleared).
    pub(crate) fn reusing(mut buf: Vec<u8>) -> Self {
        buf.clear();
        Encoder { buf }
    }

    /// The encoded bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Gives the buffer back, for reuse.
    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    /// A `uint64`/`uint32`/enum field; proto3 omits zero.
    pub(crate) fn uint64(&mut self, field: u32, value: u64) {
        if value != 0 {
            encoding::uint64::encode(field, &value, &mut self.buf);
        }
    }

    /// An `int64` written even when zero (a `oneof` member): negative
    /// values take ten bytes, as protobuf's two's-complement rule says.
    pub(crate) fn int64_always(&mut self, field: u32, value: i64) {
        encoding::int64::encode(field, &value, &mut self.buf);
    }

    /// A `sint32` field (zig-zag); proto3 omits zero.
    pub(crate) fn sint32(&mut self, field: u32, value: i32) {
        if value != 0 {
            encoding::sint32::encode(field, &value, &mut self.buf);
        }
    }

    /// A `bool` written even when false (a `oneof` member).
    pub(crate) fn bool_always(&mut self, field: u32, value: bool) {
        encoding::bool::encode(field, &value, &mut self.buf);
    }

    /// A `bool` field; proto3 omits false.
    pub(crate) fn bool(&mut self, field: u32, value: bool) {
        if value {
            self.bool_always(field, value);
        }
    }

    /// A `fixed64` field; proto3 omits zero.
    pub(crate) fn fixed64(&mut self, field: u32, value: u64) {
        if value != 0 {
            encoding::fixed64::encode(field, &value, &mut self.buf);
        }
    }

    /// An `sfixed64` written even when zero (a `oneof` member).
    pub(crate) fn sfixed64_always(&mut self, field: u32, value: i64) {
        encoding::sfixed64::encode(field, &value, &mut self.buf);
    }

    /// A `fixed32` field; proto3 omits zero.
    pub(crate) fn fixed32(&mut self, field: u32, value: u32) {
        if value != 0 {
            encoding::fixed32::encode(field, &value, &mut self.buf);
        }
    }

    /// A `double` field; proto3 omits zero.
    pub(crate) fn double(&mut self, field: u32, value: f64) {
        if value.to_bits() != 0 {
            self.double_always(field, value);
        }
    }

    /// A `double` written even when zero (`optional` or a `oneof` member).
    pub(crate) fn double_always(&mut self, field: u32, value: f64) {
        encoding::double::encode(field, &value, &mut self.buf);
    }

    /// A `string` field; proto3 omits the empty string.
    pub(crate) fn string(&mut self, field: u32, value: &str) {
        self.bytes(field, value.as_bytes());
    }

    /// A `string` written even when empty (a `oneof` member).
    pub(crate) fn string_always(&mut self, field: u32, value: &str) {
        self.bytes_always(field, value.as_bytes());
    }

    /// A `bytes` field; proto3 omits empty bytes.
    pub(crate) fn bytes(&mut self, field: u32, value: &[u8]) {
        if !value.is_empty() {
            self.bytes_always(field, value);
        }
    }

    // prost's `string`/`bytes` helpers take owned `String`/`Vec<u8>`; the
    // SDK lends `&str`, so the key and length are written here.
    fn bytes_always(&mut self, field: u32, value: &[u8]) {
        encode_key(field, WireType::LengthDelimited, &mut self.buf);
        encode_varint(value.len() as u64, &mut self.buf);
        self.buf.extend_from_slice(value);
    }

    /// A message field whose encoding is already at hand (a cached resource).
    pub(crate) fn encoded_message(&mut self, field: u32, encoded: &[u8]) {
        self.bytes_always(field, encoded);
    }

    /// A packed repeated `fixed64` field; omitted when empty.
    pub(crate) fn packed_fixed64(&mut self, field: u32, values: impl Iterator<Item = u64>) {
        let mut values = values.peekable();
        if values.peek().is_none() {
            return;
        }
        self.message(field, |encoder| {
            for value in values {
                encoder.buf.extend_from_slice(&value.to_le_bytes());
            }
        });
    }

    /// A packed repeated `double` field; omitted when empty.
    pub(crate) fn packed_double(&mut self, field: u32, values: impl Iterator<Item = f64>) {
        self.packed_fixed64(field, values.map(f64::to_bits));
    }

    /// A packed repeated `uint64` field; omitted when empty.
    pub(crate) fn packed_uint64(&mut self, field: u32, values: impl Iterator<Item = u64>) {
        let mut values = values.peekable();
        if values.peek().is_none() {
            return;
        }
        self.message(field, |encoder| {
            for value in values {
                encode_varint(value, &mut encoder.buf);
            }
        });
    }

    /// A nested message field, written by `body` (even when empty).
    pub(crate) fn message(&mut self, field: u32, body: impl FnOnce(&mut Encoder)) {
        encode_key(field, WireType::LengthDelimited, &mut self.buf);
        let at = self.buf.len();
        self.buf.push(0);
        body(self);
        let len = self.buf.len() - at - 1;
        // The common one-byte length fills the placeholder in place: writing
        // it through `encode_varint` cost about 360 more instructions per
        // span (2,950 against 2,580, callgrind as above).
        if len < 0x80 {
            self.buf[at] = len as u8;
            return;
        }
        // Widen the one-byte placeholder: shift the body right, then write
        // the length in front of it.
        let width = encoded_len_varint(len as u64);
        let end = self.buf.len();
        self.buf.resize(end + width - 1, 0);
        self.buf.copy_within(at + 1..end, at + width);
        encode_varint(len as u64, &mut &mut self.buf[at..at + width]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_follow_the_wire_format() {
        let mut e = Encoder::default();
        e.uint64(1, 150);
        assert_eq!(e.as_slice(), [0x08, 0x96, 0x01]);
        let mut e = Encoder::default();
        e.uint64(1, 0);
        e.fixed64(4, 0);
        e.bool(5, false);
        e.string(2, "");
        e.double(3, 0.0);
        assert!(e.as_slice().is_empty(), "proto3 defaults are omitted");
        let mut e = Encoder::default();
        e.int64_always(3, -1);
        assert_eq!(e.as_slice().len(), 11, "negative int64 takes ten bytes");
        let mut e = Encoder::default();
        e.sint32(1, -2);
        assert_eq!(e.as_slice(), [0x08, 0x03]);
    }

    #[test]
    fn long_nested_messages_get_a_wide_length() {
        let mut e = Encoder::default();
        e.message(1, |inner| inner.string(2, &"x".repeat(300)));
        // key, a two-byte length (303), then the inner field: key, length 300 (two bytes), bytes.
        assert_eq!(&e.as_slice()[..3], [0x0a, 0xaf, 0x02]);
        assert_eq!(e.as_slice().len(), 1 + 2 + 1 + 2 + 300);
    }
}
