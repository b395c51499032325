//! Where a view reads an event from, and the `Deserialize` impl every view
//! shares.

use serde::Deserialize;

use crate::error::EventError;
use crate::trigger::Trigger;

/// Where an event is read from: raw bytes (the fast path: detection then
/// one typed parse) or a buffered `serde_json::Value` (what a
/// `Deserialize` impl gets from an arbitrary deserializer).
pub(crate) trait Source: Sized {
    fn trigger(&self) -> Trigger;
    fn parse<T: serde::de::DeserializeOwned>(self, seen: &Trigger) -> Result<T, EventError>;
}

impl Source for &[u8] {
    fn trigger(&self) -> Trigger {
        Trigger::detect(self)
    }
    fn parse<T: serde::de::DeserializeOwned>(self, seen: &Trigger) -> Result<T, EventError> {
        serde_json::from_slice(self).map_err(|error| EventError::invalid(seen.clone(), error))
    }
}

impl Source for serde_json::Value {
    fn trigger(&self) -> Trigger {
        Trigger::deserialize(self).unwrap_or(Trigger::Unknown)
    }
    fn parse<T: serde::de::DeserializeOwned>(self, seen: &Trigger) -> Result<T, EventError> {
        serde_json::from_value(self).map_err(|error| EventError::invalid(seen.clone(), error))
    }
}

/// Implements `Deserialize` for a view through its `read` function: the
/// payload is buffered once as a `Value`, its shape detected, then read.
macro_rules! deserialize_via_read {
    ($view:ty) => {
        impl<'de> serde::Deserialize<'de> for $view {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                <$view>::read(value).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use deserialize_via_read;
