//! [`Trigger`]: what kind of event started an invocation.

/// What kind of event triggered the invocation (the OpenTelemetry `faas.trigger` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Trigger {
    /// A data source: queue, stream, storage or database change.
    Datasource,
    /// An HTTP request.
    Http,
    /// A publish/subscribe message.
    Pubsub,
    /// A schedule.
    Timer,
    /// Anything else, or not known from the platform's headers alone.
    #[default]
    Other,
}

impl Trigger {
    /// The OpenTelemetry `faas.trigger` value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Trigger::Datasource => "datasource",
            Trigger::Http => "http",
            Trigger::Pubsub => "pubsub",
            Trigger::Timer => "timer",
            Trigger::Other => "other",
        }
    }
}
