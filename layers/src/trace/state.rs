//! [`TracingState`]: what a [`TracingLayer`](super::TracingLayer), its
//! services and its hook share.

use std::sync::{Arc, OnceLock};

use super::pipeline::TracePipeline;
use crate::otel::{Delivery, OtelVariables, Schedule};

/// The variables the pipeline is built from, the pipeline once built, and
/// how its exports have gone.
#[derive(Debug)]
pub(super) struct TracingState {
    pub(super) variables: OtelVariables,
    /// Built when the function is known: for the subscriber or at
    /// `RuntimeStart`; until then the services make no spans.
    pub(super) pipeline: OnceLock<TracePipeline>,
    pub(super) delivery: Delivery,
    /// When to export besides `Freeze` and `Close`; the services count
    /// invocations in flight for it, the span buffer urges it when full.
    pub(super) schedule: Arc<Schedule>,
}
