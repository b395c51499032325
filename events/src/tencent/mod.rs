//! Tencent Cloud SCF's own event shapes, written from SCF's documentation
//! ("Trigger Event Message Structure Summary" and each trigger's page). No
//! maintained crate has them.

mod ckafka;
mod cmq;
mod cos;
mod timer;

pub use ckafka::{CkafkaEvent, CkafkaMessage, CkafkaRecord};
pub use cmq::{CmqEvent, CmqMessage, CmqRecord};
pub use cos::{CosBucket, CosEntity, CosEvent, CosEventInfo, CosObject, CosRecord};
pub use timer::TimerEvent;
