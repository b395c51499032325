//! [`Encoder`]: protobuf's wire format, written straight into one reused
//! buffer.
//!
//! Only what OTLP's messages use: varints, `fixed64`/`fixed32`, doubles,
//! strings and bytes, packed repeated numbers and nested messages. A nested
//! message's length is not known before it is written, so a one-byte
//! placeholder is reserved and widened afterwards in the rare case the
//! message is 128 bytes or longer; nothing is encoded twice.

/// Protobuf wire types.
const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LENGTH_DELIMITED: u32 = 2;
const FIXED32: u32 = 5;

/// Appends protobuf fields to a byte buffer.
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

    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.buf.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.buf.push(value as u8);
    }

    fn key(&mut self, field: u32, wire_type: u32) {
        self.varint(u64::from((field << 3) | wire_type));
    }

    /// A `uint64`/`uint32`/enum/`int64` field; proto3 omits zero.
    pub(crate) fn uint64(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.uint64_always(field, value);
        }
    }

    /// A varint field written even when zero (a `oneof` member).
    pub(crate) fn uint64_always(&mut self, field: u32, value: u64) {
        self.key(field, VARINT);
        self.varint(value);
    }

    /// An `int64` written even when zero (a `oneof` member): negative
    /// values take ten bytes, as protobuf's two's-complement rule says.
    pub(crate) fn int64_always(&mut self, field: u32, value: i64) {
        self.uint64_always(field, value as u64);
    }

    /// A `sint32` field (zig-zag); proto3 omits zero.
    pub(crate) fn sint32(&mut self, field: u32, value: i32) {
        if value != 0 {
            let zigzag = ((value << 1) ^ (value >> 31)) as u32;
            self.uint64_always(field, u64::from(zigzag));
        }
    }

    /// A `bool` written even when false (a `oneof` member).
    pub(crate) fn bool_always(&mut self, field: u32, value: bool) {
        self.uint64_always(field, u64::from(value));
    }

    /// A `bool` field; proto3 omits false.
    pub(crate) fn bool(&mut self, field: u32, value: bool) {
        if value {
            self.uint64_always(field, 1);
        }
    }

    /// A `fixed64`/`sfixed64` field; proto3 omits zero.
    pub(crate) fn fixed64(&mut self, field: u32, value: u64) {
        if value != 0 {
            self.fixed64_always(field, value);
        }
    }

    /// A `fixed64`/`sfixed64` field written even when zero.
    pub(crate) fn fixed64_always(&mut self, field: u32, value: u64) {
        self.key(field, FIXED64);
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    /// A `fixed32` field; proto3 omits zero.
    pub(crate) fn fixed32(&mut self, field: u32, value: u32) {
        if value != 0 {
            self.key(field, FIXED32);
            self.buf.extend_from_slice(&value.to_le_bytes());
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
        self.fixed64_always(field, value.to_bits());
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

    fn bytes_always(&mut self, field: u32, value: &[u8]) {
        self.key(field, LENGTH_DELIMITED);
        self.varint(value.len() as u64);
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

    /// A packed repeated varint field; omitted when empty.
    pub(crate) fn packed_uint64(&mut self, field: u32, values: impl Iterator<Item = u64>) {
        let mut values = values.peekable();
        if values.peek().is_none() {
            return;
        }
        self.message(field, |encoder| {
            for value in values {
                encoder.varint(value);
            }
        });
    }

    /// A nested message field, written by `body` (even when empty).
    pub(crate) fn message(&mut self, field: u32, body: impl FnOnce(&mut Encoder)) {
        self.key(field, LENGTH_DELIMITED);
        let at = self.buf.len();
        self.buf.push(0);
        body(self);
        let len = self.buf.len() - at - 1;
        if len < 0x80 {
            self.buf[at] = len as u8;
            return;
        }
        let mut prefix = [0u8; 10];
        let mut width = 0;
        let mut rest = len as u64;
        while rest >= 0x80 {
            prefix[width] = (rest as u8) | 0x80;
            rest >>= 7;
            width += 1;
        }
        prefix[width] = rest as u8;
        width += 1;
        // Widen the one-byte placeholder: shift the body right, then write
        // the length in front of it.
        let end = self.buf.len();
        self.buf.resize(end + width - 1, 0);
        self.buf.copy_within(at + 1..end, at + width);
        self.buf[at..at + width].copy_from_slice(&prefix[..width]);
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
