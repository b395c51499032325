//! [`CurrentFunctionInfo`]: the function's [`FunctionInfo`] kept up to date
//! from what some platforms send with every request (Alibaba FC's
//! `x-fc-function-*` headers, SCF's `memory_limit_in_mb`) instead of, or
//! besides, the environment.
//!
//! Every invocation's [`Context`](runtime_engine::Context) shares one
//! `Arc<FunctionInfo>`; this keeps the last one and builds a new one only
//! when a request says something different, so the hot path allocates
//! nothing when the info does not change (which is always, in practice).

use std::sync::{Arc, Mutex, PoisonError};

use runtime_engine::FunctionInfo;

/// What one request said about the function; `None` where it said nothing.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SentFunctionInfo<'a> {
    pub(crate) name: Option<&'a str>,
    pub(crate) version: Option<&'a str>,
    pub(crate) memory_mb: Option<u32>,
    pub(crate) region: Option<&'a str>,
    pub(crate) account_id: Option<&'a str>,
}

/// The current function info, updated from what requests send.
#[derive(Debug)]
pub(crate) struct CurrentFunctionInfo {
    current: Mutex<Arc<FunctionInfo>>,
}

impl CurrentFunctionInfo {
    /// Starts from the info read from the environment.
    pub(crate) fn new(from_environment: Arc<FunctionInfo>) -> Self {
        CurrentFunctionInfo {
            current: Mutex::new(from_environment),
        }
    }

    /// The info for a request that sent `sent`: the current one if they
    /// agree, else a copy with the request's values, which becomes current.
    pub(crate) fn resolve(&self, sent: &SentFunctionInfo<'_>) -> Arc<FunctionInfo> {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if agrees(&current, sent) {
            return current.clone();
        }
        let mut updated = FunctionInfo::clone(&current);
        if let Some(name) = sent.name {
            updated.name = name.into();
        }
        if let Some(version) = sent.version {
            updated.version = version.into();
        }
        if let Some(memory_mb) = sent.memory_mb {
            updated.memory_mb = Some(memory_mb);
        }
        if let Some(region) = sent.region {
            updated.region = Some(region.into());
        }
        if let Some(account_id) = sent.account_id {
            updated.account_id = Some(account_id.into());
        }
        *current = Arc::new(updated);
        current.clone()
    }
}

fn agrees(current: &FunctionInfo, sent: &SentFunctionInfo<'_>) -> bool {
    sent.name.is_none_or(|n| *current.name == *n)
        && sent.version.is_none_or(|v| *current.version == *v)
        && sent.memory_mb.is_none_or(|m| current.memory_mb == Some(m))
        && sent
            .region
            .is_none_or(|r| current.region.as_deref() == Some(r))
        && sent
            .account_id
            .is_none_or(|a| current.account_id.as_deref() == Some(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_engine::Platform;

    #[test]
    fn a_new_arc_only_when_the_request_differs() {
        let base = Arc::new(FunctionInfo::new(Platform::AliyunFc, "orders"));
        let current = CurrentFunctionInfo::new(base.clone());
        let same = current.resolve(&SentFunctionInfo {
            name: Some("orders"),
            ..SentFunctionInfo::default()
        });
        assert!(Arc::ptr_eq(&same, &base));
        let sent = SentFunctionInfo {
            memory_mb: Some(512),
            region: Some("cn-hangzhou"),
            ..SentFunctionInfo::default()
        };
        let changed = current.resolve(&sent);
        assert!(!Arc::ptr_eq(&changed, &base));
        assert_eq!(changed.memory_mb, Some(512));
        assert_eq!(changed.region.as_deref(), Some("cn-hangzhou"));
        assert!(Arc::ptr_eq(&current.resolve(&sent), &changed));
    }
}
