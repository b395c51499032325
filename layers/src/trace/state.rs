//! [`TracingState`]: what a [`TracingLayer`](super::TracingLayer), its
//! services and its hook share.

use std::sync::OnceLock;

use super::pipeline::TracePipeline;
use crate::otel::{Delivery, OtelVariables};

/// The variables the pipeline is built from, the pipeline once built, and
/// how its exports have gone.
#[derive(Debug)]
pub(super) struct TracingState {
    pub(super) variables: OtelVariables,
    /// Built when the function is known: for the subscriber or at
    /// `RuntimeStart`; until then the services make no spans.
    pub(super) pipeline: OnceLock<TracePipeline>,
    pub(super) delivery: Delivery,
}
