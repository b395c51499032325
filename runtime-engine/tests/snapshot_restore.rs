//! The `Snapshot` and `Restore` phases: order, failure, budget, and a
//! hook that implements neither.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use runtime_engine::{
    BoxError, Budgets, FunctionInfo, Hook, HookFuture, Lifecycle, Phase, Platform,
};

type Log = Arc<Mutex<Vec<String>>>;

/// Logs each snapshot and restore it sees; fails where told to.
struct Resource {
    name: &'static str,
    log: Log,
    fail_snapshot: bool,
    fail_restore: bool,
}

impl Resource {
    fn plain(name: &'static str, log: &Log) -> Box<dyn Hook> {
        Box::new(Resource {
            name,
            log: log.clone(),
            fail_snapshot: false,
            fail_restore: false,
        })
    }

    fn failing_restore(name: &'static str, log: &Log) -> Box<dyn Hook> {
        Box::new(Resource {
            name,
            log: log.clone(),
            fail_snapshot: false,
            fail_restore: true,
        })
    }

    fn failing_snapshot(name: &'static str, log: &Log) -> Box<dyn Hook> {
        Box::new(Resource {
            name,
            log: log.clone(),
            fail_snapshot: true,
            fail_restore: false,
        })
    }

    fn step(&self, what: &str, fail: bool) -> HookFuture<'_> {
        self.log
            .lock()
            .unwrap()
            .push(format!("{what}:{}", self.name));
        if fail {
            let error: BoxError = format!("{} cannot {what}", self.name).into();
            HookFuture::ready(Err(error))
        } else {
            HookFuture::done()
        }
    }
}

impl Hook for Resource {
    fn name(&self) -> &str {
        self.name
    }
    fn on_snapshot(&self) -> HookFuture<'_> {
        self.step("snapshot", self.fail_snapshot)
    }
    fn on_restore(&self) -> HookFuture<'_> {
        self.step("restore", self.fail_restore)
    }
}

/// Implements no phase: the defaults must do nothing.
struct Bystander;
impl Hook for Bystander {}

fn lifecycle(hooks: Vec<Box<dyn Hook>>, budgets: Budgets) -> Lifecycle {
    Lifecycle::new(FunctionInfo::new(Platform::Local, "f"), hooks, budgets)
}

fn taken(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[tokio::test]
async fn snapshot_runs_in_reverse_order_and_restore_in_registration_order() {
    let log = Log::default();
    let hooks = vec![
        Resource::plain("pool", &log),
        Box::new(Bystander) as Box<dyn Hook>,
        Resource::plain("cache", &log),
        Resource::plain("client", &log),
    ];
    let lifecycle = lifecycle(hooks, Budgets::default());
    lifecycle.snapshot().await.unwrap();
    assert_eq!(
        taken(&log),
        ["snapshot:client", "snapshot:cache", "snapshot:pool"]
    );
    lifecycle.restore().await.unwrap();
    assert_eq!(
        taken(&log),
        ["restore:pool", "restore:cache", "restore:client"]
    );
    let timings = lifecycle.timings();
    assert_eq!(timings.phase(Phase::Snapshot).count, 1);
    assert_eq!(timings.phase(Phase::Restore).count, 1);
}

#[tokio::test]
async fn a_vec_of_hooks_keeps_the_same_order() {
    let log = Log::default();
    let list = vec![Resource::plain("a", &log), Resource::plain("b", &log)];
    let lifecycle = lifecycle(vec![Box::new(list)], Budgets::default());
    lifecycle.snapshot().await.unwrap();
    lifecycle.restore().await.unwrap();
    assert_eq!(
        taken(&log),
        ["snapshot:b", "snapshot:a", "restore:a", "restore:b"]
    );
}

#[tokio::test]
async fn a_failing_restore_hook_stops_the_phase_and_names_itself() {
    let log = Log::default();
    let hooks = vec![
        Resource::plain("pool", &log),
        Resource::failing_restore("cache", &log),
        Resource::plain("client", &log),
    ];
    let lifecycle = lifecycle(hooks, Budgets::default());
    let error = lifecycle.restore().await.unwrap_err();
    assert_eq!(taken(&log), ["restore:pool", "restore:cache"]);
    assert_eq!(error.init_phase(), Some(Phase::Restore));
    let message = error.to_string();
    assert!(
        message.starts_with("restoring from the snapshot failed in Restore"),
        "{message}"
    );
    assert!(message.contains("cache cannot restore"), "{message}");
}

#[tokio::test]
async fn a_failing_snapshot_hook_is_an_init_error() {
    let log = Log::default();
    let hooks = vec![
        Resource::plain("pool", &log),
        Resource::failing_snapshot("cache", &log),
        Resource::plain("client", &log),
    ];
    let lifecycle = lifecycle(hooks, Budgets::default());
    let error = lifecycle.snapshot().await.unwrap_err();
    assert_eq!(taken(&log), ["snapshot:client", "snapshot:cache"]);
    assert!(error.is_init());
    assert_eq!(error.init_phase(), Some(Phase::Snapshot));
    assert!(
        error.to_string().contains("cache cannot snapshot"),
        "{error}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_restore_hook_that_never_finishes_is_stopped_by_its_budget() {
    struct Stuck;
    impl Hook for Stuck {
        fn on_restore(&self) -> HookFuture<'_> {
            HookFuture::new(std::future::pending())
        }
    }
    let budgets = Budgets::default().with_restore(Duration::from_millis(250));
    let lifecycle = lifecycle(vec![Box::new(Stuck)], budgets);
    let error = lifecycle.restore().await.unwrap_err();
    assert!(
        error.to_string().contains("250 ms Restore budget"),
        "{error}"
    );
}

#[tokio::test]
async fn hooks_without_snapshot_methods_pass_both_phases() {
    let lifecycle = lifecycle(vec![Box::new(Bystander)], Budgets::default());
    lifecycle.snapshot().await.unwrap();
    lifecycle.restore().await.unwrap();
}
