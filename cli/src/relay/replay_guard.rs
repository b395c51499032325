//! [`ReplayGuard`]: a signed invocation is accepted once. The timestamp
//! window bounds how long a captured message verifies; within it, the
//! signatures already seen are remembered and a second arrival is refused.
//! (The request id alone would not do: platforms retry an invocation under
//! its request id, and each retry is signed afresh.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use light_runtime::layers::relay::signature::WINDOW;

/// The signatures seen within twice the window (either side of now).
#[derive(Debug, Default)]
pub struct ReplayGuard {
    seen: Mutex<HashMap<String, Instant>>,
}

impl ReplayGuard {
    /// Records `signature`; `false` when it was seen before.
    pub fn first_time(&self, signature: &str) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|_, at| now.duration_since(*at) < 2 * WINDOW);
        seen.insert(signature.to_owned(), now).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_accepted_once() {
        let guard = ReplayGuard::default();
        assert!(guard.first_time("v1=aa"));
        assert!(guard.first_time("v1=bb"));
        assert!(!guard.first_time("v1=aa"));
    }
}
