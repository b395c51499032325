//! Borrowed bytes and text from the raw pointers of the ABI.

use std::borrow::Cow;

use super::abi::ByteSlice;

/// The bytes `slice` points at.
///
/// # Safety
/// `slice.ptr` must point at `slice.len` initialised bytes that stay valid
/// and unchanged for `'a`, or `slice.len` must be 0.
pub(crate) unsafe fn bytes<'a>(slice: ByteSlice) -> &'a [u8] {
    if slice.len == 0 || slice.ptr.is_null() {
        return &[];
    }
    // SAFETY: non-null with a non-zero length, and the caller vouches for
    // `len` readable bytes living for 'a (the ABI's rule for every slice).
    unsafe { std::slice::from_raw_parts(slice.ptr, slice.len) }
}

/// The text `slice` points at; invalid UTF-8 is replaced, never trusted.
///
/// # Safety
/// As for [`bytes`].
pub(crate) unsafe fn text<'a>(slice: ByteSlice) -> Cow<'a, str> {
    // SAFETY: forwarded from this function's own contract.
    text_of(unsafe { bytes(slice) })
}

/// `bytes` as text; invalid UTF-8 is replaced. Request ids, ARNs and
/// content types are ASCII, whose word-at-a-time check is several times
/// cheaper than full UTF-8 validation, so that is tried first.
pub(crate) fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        return Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    String::from_utf8_lossy(bytes)
}
