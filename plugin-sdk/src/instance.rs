//! [`Instance`]: what a `Hook` plugin's `create` makes: the hook, the
//! function's facts once seen, and the values the phases of the latest
//! invocation share.

use std::ffi::c_void;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};

use bytes::Bytes;
use runtime_engine::plugin::abi::{ContextView, FunctionView, OutcomeView};
use runtime_engine::{Context, FunctionInfo, Hook, Invocation, Outcome};

use crate::from_views::{build_context, fill_parts, function_info, outcome_from_view, shows};

/// One plugin instance: the hook, the function's facts once seen, and what
/// the phases of the latest invocation share.
pub(crate) struct Instance {
    pub(crate) hook: Box<dyn Hook>,
    function: FunctionCache,
    latest: Mutex<Latest>,
}

/// The function's facts, built from the first view that shows them and
/// shared from then on: a plugin serves one function.
#[derive(Default)]
pub(crate) struct FunctionCache(OnceLock<Arc<FunctionInfo>>);

impl FunctionCache {
    /// The facts `view` shows, built on the first call.
    pub(crate) fn get(&self, view: &FunctionView) -> &Arc<FunctionInfo> {
        self.0.get_or_init(|| Arc::new(function_info(view)))
    }
}

/// What the phases of one invocation share, so each is built once per
/// invocation rather than once per phase: the invocation (its context
/// rebuilt from the first view that names it, refilled in place when no one
/// else holds it, and reused while views name the same request id and
/// sequence), and the outcome `AfterInvoke` left, which `AfterResponse`
/// takes instead of copying the body again when the host's view still shows
/// the same bytes.
///
/// A phase call holds the lock while its hook runs, so the hook borrows
/// these values rather than clones of them. A concurrent call of the same
/// plugin finds the lock taken and builds its own values instead: slower,
/// never blocked. Every reuse is checked against the view at hand.
#[derive(Default)]
struct Latest {
    invocation: Option<Invocation>,
    outcome: Option<Outcome>,
}

impl Instance {
    /// A fresh instance around `hook`.
    pub(crate) fn new(hook: Box<dyn Hook>) -> Self {
        Instance {
            hook,
            function: FunctionCache::default(),
            latest: Mutex::default(),
        }
    }

    /// The shared values, unless another call holds them. A hook that
    /// panicked while holding them left them poisoned; every reuse is
    /// checked against the view anyway, so they are taken as they are.
    fn try_latest(&self) -> Option<MutexGuard<'_, Latest>> {
        match self.latest.try_lock() {
            Ok(latest) => Some(latest),
            Err(TryLockError::Poisoned(poisoned)) => {
                self.latest.clear_poison();
                Some(poisoned.into_inner())
            }
            Err(TryLockError::WouldBlock) => None,
        }
    }

    pub(crate) fn function(&self, view: &FunctionView) -> &Arc<FunctionInfo> {
        self.function.get(view)
    }

    /// Runs `run` on the invocation `view` and `event` show: the context and
    /// a copy of the event.
    pub(crate) fn with_invocation<R>(
        &self,
        view: &ContextView,
        event: &[u8],
        run: impl FnOnce(&mut Invocation) -> R,
    ) -> R {
        let Some(mut latest) = self.try_latest() else {
            let payload = Bytes::copy_from_slice(event);
            return run(&mut Invocation::new(self.build_context(view), payload));
        };
        let invocation = self.current(&mut latest, view);
        invocation.payload = Bytes::copy_from_slice(event);
        let result = run(invocation);
        // The copy is freed now rather than held until the next invocation.
        invocation.payload = Bytes::new();
        result
    }

    /// Runs `run` on the context `view` shows and the outcome `outcome`
    /// shows: with `keep`, a copy that is then kept for `AfterResponse`;
    /// without, the kept one if it still equals the view, else a copy.
    pub(crate) fn with_outcome<R>(
        &self,
        view: &ContextView,
        outcome: &OutcomeView,
        keep: bool,
        run: impl FnOnce(&Context, &mut Outcome) -> R,
    ) -> R {
        let Some(mut latest) = self.try_latest() else {
            let context = self.build_context(view);
            return run(&context, &mut outcome_from_view(outcome));
        };
        self.current(&mut latest, view);
        let Latest {
            invocation,
            outcome: kept,
        } = &mut *latest;
        let context = &invocation.as_ref().expect("made by `current`").context;
        let mut shown = match kept.take() {
            Some(kept) if !keep && shows(outcome, &kept) => kept,
            _ => outcome_from_view(outcome),
        };
        let result = run(context, &mut shown);
        if keep {
            *kept = Some(shown);
        }
        result
    }

    /// The invocation of the shared values, made the one `view` shows: as
    /// it is if it already is; else refilled in place when no clone of its
    /// context is left (the usual case: no allocation, nothing freed); else
    /// with a new context. A new invocation drops the kept outcome.
    fn current<'a>(&self, latest: &'a mut Latest, view: &ContextView) -> &'a mut Invocation {
        // SAFETY: valid for the call (the ABI).
        let request_id = unsafe { view.request_id.as_bytes() };
        let same = latest.invocation.as_ref().is_some_and(|invocation| {
            let context = &invocation.context;
            context.sequence() == view.sequence && context.request_id().as_bytes() == request_id
        });
        if !same {
            latest.outcome = None;
            // SAFETY: `function` points at a view valid for the call (the ABI).
            let function = self.function(unsafe { &*view.function });
            match &mut latest.invocation {
                // `refill` also drops what a hook attached to the last
                // invocation's context: it does not carry over.
                Some(invocation) => match invocation.context.refill() {
                    Some(parts) => fill_parts(parts, view, function),
                    None => invocation.context = build_context(view, function),
                },
                None => {
                    let context = build_context(view, function);
                    latest.invocation = Some(Invocation::new(context, Bytes::new()));
                }
            }
        }
        latest.invocation.as_mut().expect("set above")
    }

    fn build_context(&self, view: &ContextView) -> Context {
        // SAFETY: `function` points at a view valid for the call (the ABI).
        build_context(view, self.function(unsafe { &*view.function }))
    }
}

/// # Safety
/// `instance` must come from a `Hook` plugin's `create` and not yet be
/// destroyed.
pub(crate) unsafe fn instance<'a>(instance: *mut c_void) -> &'a Instance {
    // SAFETY: forwarded from this function's contract.
    unsafe { &*instance.cast::<Instance>() }
}
