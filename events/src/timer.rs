//! [`TimerEvent`]: a schedule fired, from EventBridge (scheduled rules and
//! EventBridge Scheduler), FC's timer trigger or SCF's timer trigger.
//!
//! ```
//! use light_runtime_events::timer::TimerEvent;
//!
//! let scf = br#"{"Type":"Timer","TriggerName":"nightly","Time":"2019-02-21T11:49:00Z","Message":"full"}"#;
//! let timer = TimerEvent::from_slice(scf)?;
//! assert_eq!((timer.name.as_deref(), timer.payload.as_deref()), (Some("nightly"), Some("full")));
//! # Ok::<(), light_runtime_events::EventError>(())
//! ```

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};

use crate::error::EventError;
use crate::source::{deserialize_via_read, Source};
use crate::trigger::Trigger;
use crate::{aliyun, tencent};

/// A schedule fired, the same on every cloud.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TimerEvent {
    /// When the schedule fired (the scheduled time, not the delivery time).
    pub time: Option<DateTime<Utc>>,
    /// The schedule's name: the EventBridge rule or schedule (the last part
    /// of its ARN), the FC or SCF trigger's name.
    pub name: Option<String>,
    /// The text configured on the trigger: FC's `payload`, SCF's `Message`,
    /// or EventBridge's `detail` as JSON text when it is not empty.
    pub payload: Option<String>,
    origin: TimerOrigin,
}

/// The event a [`TimerEvent`] was read from, in its platform's own type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TimerOrigin {
    /// An EventBridge `Scheduled Event` (`aws_lambda_events`).
    EventBridge(Box<EventBridgeEvent>),
    /// An FC timer trigger's event.
    Fc(aliyun::TimerEvent),
    /// An SCF timer trigger's event.
    Scf(tencent::TimerEvent),
}

const EXPECTED: &str = "a timer event (EventBridge schedule, FC or SCF timer)";

impl TimerEvent {
    /// Reads a timer event from its JSON, whichever cloud sent it.
    pub fn from_slice(json: &[u8]) -> Result<Self, EventError> {
        Self::read(json)
    }

    /// The platform's own event this view was read from.
    pub fn origin(&self) -> &TimerOrigin {
        &self.origin
    }

    /// The platform's own event, owned.
    pub fn into_origin(self) -> TimerOrigin {
        self.origin
    }

    fn read(source: impl Source) -> Result<Self, EventError> {
        let seen = source.trigger();
        match seen {
            ref schedule if schedule.is_schedule() => {
                let event: EventBridgeEvent = source.parse(&seen)?;
                Ok(TimerEvent {
                    time: event.time,
                    name: event
                        .resources
                        .as_ref()
                        .and_then(|r| r.first())
                        .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned()),
                    payload: match &event.detail {
                        serde_json::Value::Null => None,
                        serde_json::Value::Object(map) if map.is_empty() => None,
                        detail => Some(detail.to_string()),
                    },
                    origin: TimerOrigin::EventBridge(Box::new(event)),
                })
            }
            Trigger::FcTimer => {
                let event: aliyun::TimerEvent = source.parse(&seen)?;
                Ok(TimerEvent {
                    time: rfc3339(&event.trigger_time),
                    name: Some(event.trigger_name.clone()),
                    payload: event.payload.clone(),
                    origin: TimerOrigin::Fc(event),
                })
            }
            Trigger::ScfTimer => {
                let event: tencent::TimerEvent = source.parse(&seen)?;
                Ok(TimerEvent {
                    time: rfc3339(&event.time),
                    name: Some(event.trigger_name.clone()),
                    payload: event.message.clone(),
                    origin: TimerOrigin::Scf(event),
                })
            }
            other => Err(EventError::mismatch(EXPECTED, other)),
        }
    }
}

fn rfc3339(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

deserialize_via_read!(TimerEvent);
