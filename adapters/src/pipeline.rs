//! [`BoxPipeline`]: the pipeline every adapter drives, type-erased once, and
//! [`BoxPipeline::answer`], the one way an adapter calls it.

use std::fmt;

use runtime_engine::{BoxError, Invocation, Outcome, Pipeline};
use tower::util::BoxCloneService;
use tower::ServiceExt;

/// The whole pipeline (layers around the hooks around the handler) behind
/// one type, so the `Adapter` contract is dyn-compatible
/// and each adapter is compiled once rather than once per pipeline type.
///
/// Costs one boxed future per invocation (a few hundred instructions),
/// which the benchmark shows is well inside the budget.
#[derive(Clone)]
pub struct BoxPipeline {
    service: BoxCloneService<Invocation, Outcome, BoxError>,
}

impl BoxPipeline {
    /// Erases `pipeline`'s type.
    pub fn new<S: Pipeline>(pipeline: S) -> Self {
        BoxPipeline {
            service: BoxCloneService::new(pipeline.map_err(Into::<BoxError>::into)),
        }
    }

    /// Runs `invocation` through the pipeline and returns its outcome,
    /// through the engine's [`answer`](runtime_engine::pipeline::answer):
    /// the one place where the pipeline's own failure (a layer refusing,
    /// not ready) becomes an [`Outcome::Error`], so every invocation gets
    /// exactly one answer.
    pub async fn answer(&mut self, invocation: Invocation) -> Outcome {
        runtime_engine::pipeline::answer(&mut self.service, invocation).await
    }
}

impl fmt::Debug for BoxPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxPipeline")
    }
}
