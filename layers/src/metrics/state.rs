//! [`MetricsState`]: what a [`MetricsLayer`](super::MetricsLayer), its
//! services and its hook share.

use std::sync::{Arc, OnceLock};

use super::pipeline::MeterPipeline;
use crate::otel::{Delivery, OtelVariables, Schedule};

/// The variables the pipeline is built from, the pipeline once built, and
/// how its exports have gone.
#[derive(Debug)]
pub(super) struct MetricsState {
    pub(super) variables: OtelVariables,
    /// Built at `RuntimeStart`, when the function is known; until then the
    /// services record nothing.
    pub(super) pipeline: OnceLock<MeterPipeline>,
    pub(super) delivery: Delivery,
    /// When to export besides `Freeze` and `Close`; the services count
    /// invocations in flight for it.
    pub(super) schedule: Arc<Schedule>,
}
