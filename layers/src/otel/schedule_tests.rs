//! The schedule's decisions, on a paused clock.

use std::sync::atomic::AtomicU32;

use runtime_engine::Platform;

use super::*;

fn counting(schedule: &Arc<Schedule>) -> Arc<AtomicU32> {
    let exports = Arc::new(AtomicU32::new(0));
    let counter = exports.clone();
    schedule.spawn(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    exports
}

fn idle_schedule() -> Arc<Schedule> {
    let schedule = Arc::new(Schedule::new(
        Choice::Auto,
        Duration::from_millis(50),
        Duration::from_secs(5),
    ));
    schedule.resolve(&FunctionInfo::new(Platform::Http, "f"));
    schedule
}

/// Lets the background task run until it waits on a timer again.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[test]
fn the_platform_decides_unless_the_variable_does() {
    let aws = FunctionInfo::new(Platform::AwsLambda, "f");
    let fc = FunctionInfo::new(Platform::AliyunFc, "f");
    let scf_web = FunctionInfo::new(Platform::TencentScf, "f").with_freezes_with_notice(false);
    let auto = |function: &FunctionInfo| {
        Schedule::from_environment(
            &Environment::from_vars([("X", "1")]),
            "I",
            Duration::from_secs(1),
        )
        .resolve(function)
    };
    assert_eq!(auto(&aws), Trigger::Freeze);
    assert_eq!(auto(&fc), Trigger::Idle);
    assert_eq!(auto(&scf_web), Trigger::Idle);
    assert_eq!(
        auto(&FunctionInfo::new(Platform::Local, "f")),
        Trigger::Idle
    );
    let strict = Environment::from_vars([(FLUSH_VAR, "strict")]);
    let schedule = Schedule::from_environment(&strict, "I", Duration::from_secs(1));
    assert_eq!(schedule.resolve(&aws), Trigger::Strict);
    let idle = Environment::from_vars([(FLUSH_VAR, "idle"), (IDLE_DELAY_VAR, "7")]);
    let schedule = Schedule::from_environment(&idle, "I", Duration::from_secs(1));
    assert_eq!(schedule.resolve(&aws), Trigger::Idle);
    assert_eq!(schedule.idle_delay, Duration::from_millis(7));
}

#[test]
fn a_bad_value_falls_back_to_the_default() {
    let env = Environment::from_vars([
        (FLUSH_VAR, "sometimes"),
        (IDLE_DELAY_VAR, "0"),
        ("I", "soon"),
    ]);
    let schedule = Schedule::from_environment(&env, "I", Duration::from_secs(3));
    assert_eq!(schedule.choice, Choice::Auto);
    assert_eq!(schedule.idle_delay, DEFAULT_IDLE_DELAY);
    assert_eq!(schedule.interval, Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn exports_once_the_last_invocation_has_been_idle_for_the_delay() {
    let schedule = idle_schedule();
    let exports = counting(&schedule);
    let first = schedule.start().unwrap();
    let second = schedule.start().unwrap();
    assert!(first.end().is_none(), "not the last, and not strict");
    settle().await;
    tokio::time::advance(Duration::from_millis(100)).await;
    settle().await;
    assert_eq!(exports.load(Ordering::SeqCst), 0, "one still in flight");
    drop(second);
    settle().await;
    tokio::time::advance(Duration::from_millis(49)).await;
    settle().await;
    assert_eq!(
        exports.load(Ordering::SeqCst),
        0,
        "the delay has not passed"
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    settle().await;
    assert_eq!(exports.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn busy_again_within_the_delay_waits_for_the_next_idle() {
    let schedule = idle_schedule();
    let exports = counting(&schedule);
    schedule.start().unwrap().end();
    settle().await;
    let again = schedule.start().unwrap();
    tokio::time::advance(Duration::from_millis(60)).await;
    settle().await;
    assert_eq!(
        exports.load(Ordering::SeqCst),
        0,
        "busy again: no export yet"
    );
    again.end();
    settle().await;
    tokio::time::advance(Duration::from_millis(50)).await;
    settle().await;
    assert_eq!(exports.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_wait_that_overran_exports_even_when_busy() {
    let schedule = idle_schedule();
    let exports = counting(&schedule);
    schedule.start().unwrap().end();
    settle().await;
    // Frozen for a second, then thawed by a new invocation.
    let thawed_by = schedule.start().unwrap();
    tokio::time::advance(Duration::from_secs(1)).await;
    settle().await;
    assert_eq!(exports.load(Ordering::SeqCst), 1);
    drop(thawed_by);
}

#[tokio::test(start_paused = true)]
async fn a_busy_instance_exports_on_the_interval_and_when_urged() {
    let schedule = idle_schedule();
    let exports = counting(&schedule);
    let busy = schedule.start().unwrap();
    settle().await;
    tokio::time::advance(Duration::from_millis(4_999)).await;
    settle().await;
    assert_eq!(exports.load(Ordering::SeqCst), 0);
    tokio::time::advance(Duration::from_millis(1)).await;
    settle().await;
    assert_eq!(exports.load(Ordering::SeqCst), 1, "the interval passed");
    schedule.urge();
    settle().await;
    assert_eq!(exports.load(Ordering::SeqCst), 2, "a buffer filling up");
    drop(busy);
}

#[tokio::test(start_paused = true)]
async fn strict_is_due_only_for_the_last_in_flight() {
    let schedule = Arc::new(Schedule::new(
        Choice::Strict,
        Duration::from_millis(50),
        Duration::from_secs(5),
    ));
    schedule.resolve(&FunctionInfo::new(Platform::Http, "f"));
    let exports = counting(&schedule);
    let first = schedule.start().unwrap();
    let second = schedule.start().unwrap();
    assert!(first.end().is_none());
    let strict = second.end().expect("the last one exports");
    strict.await;
    assert_eq!(exports.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn freeze_notice_needs_no_counting_and_no_task() {
    let schedule = Arc::new(Schedule::new(
        Choice::Auto,
        Duration::from_millis(50),
        Duration::from_secs(5),
    ));
    schedule.resolve(&FunctionInfo::new(Platform::AwsLambda, "f"));
    let exports = counting(&schedule);
    assert!(schedule.start().is_none());
    tokio::time::advance(Duration::from_secs(60)).await;
    settle().await;
    assert_eq!(exports.load(Ordering::SeqCst), 0);
    assert!(schedule.task.lock().unwrap().is_none());
}
