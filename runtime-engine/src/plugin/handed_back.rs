//! [`HandedBack`]: where a plugin's [`Output`] callbacks write what it
//! hands back during one call, copied out of its memory.

use std::ffi::c_void;

use bytes::Bytes;

use super::abi::{self, ByteSlice, Output};
use crate::error::InvocationError;
use crate::invocation::{Outcome, Response};

/// What a plugin handed back during one call, copied out of its memory.
/// Boxed on the first callback: most calls hand nothing back, and then
/// making and dropping a `HandedBack` is one word and one branch.
#[derive(Default, Debug)]
pub(super) struct HandedBack(Option<Box<Given>>);

#[derive(Default, Debug)]
struct Given {
    event: Option<Bytes>,
    outcome: Option<Outcome>,
    failure: Option<String>,
}

impl HandedBack {
    /// The callbacks writing into `self`. `self` must not move or be read
    /// until the call the output is passed to has returned.
    pub(super) fn output(&mut self) -> Output {
        Output {
            host: (self as *mut HandedBack).cast(),
            set_event,
            set_response,
            set_error,
            fail,
        }
    }

    fn given(&mut self) -> &mut Given {
        self.0.get_or_insert_with(Box::default)
    }

    pub(super) fn take_event(&mut self) -> Option<Bytes> {
        self.0.as_mut().and_then(|given| given.event.take())
    }

    pub(super) fn take_outcome(&mut self) -> Option<Outcome> {
        self.0.as_mut().and_then(|given| given.outcome.take())
    }

    /// Why a call returned `status`, in the plugin's words if it gave any.
    pub(super) fn failure_message(&self, status: i32) -> String {
        let failure = self.0.as_ref().and_then(|given| given.failure.as_ref());
        match (failure, status) {
            (Some(message), _) => message.clone(),
            (None, abi::STATUS_FAILED) => "it failed without saying why".to_owned(),
            (None, other) => format!("it returned the unknown status {other}"),
        }
    }
}

/// # Safety
/// `host` must be the `HandedBack` of a live [`HandedBack::output`].
unsafe fn handed_back<'a>(host: *mut c_void) -> &'a mut HandedBack {
    // SAFETY: forwarded from this function's contract; the host is
    // single-threaded for the call and nothing else borrows it meanwhile.
    unsafe { &mut *host.cast::<HandedBack>() }
}

unsafe extern "C" fn set_event(host: *mut c_void, event: ByteSlice) {
    // SAFETY: the ABI gives callbacks the `host` of their own output and
    // slices valid for the call.
    let (handed_back, event) = unsafe { (handed_back(host), event.as_bytes()) };
    handed_back.given().event = Some(Bytes::copy_from_slice(event));
}

unsafe extern "C" fn set_response(host: *mut c_void, body: ByteSlice, content_type: ByteSlice) {
    // SAFETY: as in `set_event`.
    let (handed_back, body, content_type) =
        unsafe { (handed_back(host), body.as_bytes(), content_type.as_bytes()) };
    let content_type = abi::content_type(content_type);
    handed_back.given().outcome = Some(Outcome::Response(Response::with_content_type(
        Bytes::copy_from_slice(body),
        content_type,
    )));
}

unsafe extern "C" fn set_error(host: *mut c_void, error_type: ByteSlice, message: ByteSlice) {
    // SAFETY: as in `set_event`.
    let (handed_back, error_type, message) =
        unsafe { (handed_back(host), error_type.to_text(), message.to_text()) };
    handed_back.given().outcome = Some(Outcome::Error(InvocationError::handler(
        error_type.into_owned(),
        message.into_owned(),
    )));
}

unsafe extern "C" fn fail(host: *mut c_void, message: ByteSlice) {
    // SAFETY: as in `set_event`.
    let (handed_back, message) = unsafe { (handed_back(host), message.to_text()) };
    handed_back.given().failure = Some(message.into_owned());
}
