//! [`MetricsState`]: what a [`MetricsLayer`](super::MetricsLayer), its
//! services and its hook share.

use std::sync::OnceLock;

use super::pipeline::MeterPipeline;
use crate::otel::{Delivery, OtelVariables};

/// The variables the pipeline is built from, the pipeline once built, and
/// how its exports have gone.
#[derive(Debug)]
pub(super) struct MetricsState {
    pub(super) variables: OtelVariables,
    /// Built at `RuntimeStart`, when the function is known; until then the
    /// services record nothing.
    pub(super) pipeline: OnceLock<MeterPipeline>,
    pub(super) delivery: Delivery,
}
