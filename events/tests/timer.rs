//! `TimerEvent` from each cloud's documented timer event, and its refusals.

mod support;

use chrono::{TimeZone, Utc};
use light_runtime_events::timer::{TimerEvent, TimerOrigin};
use support::{both_ways, fixture, ALL};

/// Source: Amazon EventBridge User Guide, "Creating a rule that runs on a
/// schedule", the `Scheduled Event` sample.
#[test]
fn eventbridge_scheduled_rule() {
    let timer = both_ways("aws/eventbridge_scheduled.json", TimerEvent::from_slice);
    assert_eq!(timer.name.as_deref(), Some("my-scheduled-rule"));
    assert_eq!(
        timer.time,
        Some(Utc.with_ymd_and_hms(2015, 10, 8, 16, 53, 6).unwrap())
    );
    assert_eq!(timer.payload, None, "an empty detail is no payload");
    assert!(matches!(timer.origin(), TimerOrigin::EventBridge(e) if e.source == "aws.events"));
}

/// The shape of the scheduled-rule sample above with a schedule's ARN in
/// `resources` and a non-empty `detail`; the values (and `aws.scheduler` as
/// the source) are ours: how EventBridge Scheduler fills them when it
/// reaches a function through an event bus is unconfirmed.
#[test]
fn eventbridge_scheduler() {
    let timer = both_ways("aws/scheduler.json", TimerEvent::from_slice);
    assert_eq!(timer.name.as_deref(), Some("nightly-report"));
    assert_eq!(timer.payload.as_deref(), Some(r#"{"report":"daily"}"#));
}

/// Source: Alibaba Cloud FC, "Formats of event for different triggers", time triggers.
#[test]
fn fc_timer() {
    let timer = both_ways("aliyun/timer.json", TimerEvent::from_slice);
    assert_eq!(timer.name.as_deref(), Some("timer-trigger"));
    assert_eq!(timer.payload.as_deref(), Some("awesome-fc"));
    assert_eq!(
        timer.time,
        Some(Utc.with_ymd_and_hms(2023, 12, 26, 7, 49, 0).unwrap())
    );
    assert!(matches!(timer.into_origin(), TimerOrigin::Fc(e) if e.trigger_name == "timer-trigger"));
}

/// Source: Tencent Cloud SCF, "Trigger Event Message Structure Summary", timer trigger.
#[test]
fn scf_timer() {
    let timer = both_ways("tencent/timer.json", TimerEvent::from_slice);
    assert_eq!(timer.name.as_deref(), Some("EveryDay"));
    assert_eq!(timer.payload.as_deref(), Some("user define msg body"));
    assert_eq!(
        timer.time,
        Some(Utc.with_ymd_and_hms(2019, 2, 21, 11, 49, 0).unwrap())
    );
}

#[test]
fn every_other_trigger_is_a_mismatch_naming_what_was_seen() {
    let timers = [
        "aws/eventbridge_scheduled.json",
        "aws/scheduler.json",
        "aliyun/timer.json",
        "tencent/timer.json",
    ];
    for path in ALL.iter().filter(|p| !timers.contains(p)) {
        let error = TimerEvent::from_slice(&fixture(path)).unwrap_err();
        assert!(error.is_mismatch(), "{path}: {error}");
    }
    let error = TimerEvent::from_slice(&fixture("tencent/cos.json")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "expected a timer event (EventBridge schedule, FC or SCF timer), got a COS event"
    );
    let other_detail = br#"{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{}}"#;
    assert_eq!(
        TimerEvent::from_slice(other_detail)
            .unwrap_err()
            .to_string(),
        "expected a timer event (EventBridge schedule, FC or SCF timer), \
         got an EventBridge event (\"EC2 Instance State-change Notification\")"
    );
}
