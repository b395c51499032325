//! The SCF runtime API's calls (reference 3.4): `init/ready`, `next`,
//! `response`, `error`, over the shared [`Client`]. No version prefix
//! and no request id in the paths: one invocation at a time.

use std::sync::Arc;

use runtime_engine::Error;

use light_runtime_http_client::{Client, PostStatus, RawResponse, RetryPolicy};

/// The SCF runtime API at one endpoint.
pub(crate) struct ScfApi {
    client: Client,
}

impl ScfApi {
    pub(crate) fn new(host: &str, port: &str) -> Self {
        let endpoint: Arc<str> = format!("{host}:{port}").into();
        let described = format!(
            "the SCF runtime API at {}={host}, {}={port}",
            super::API_HOST_VAR,
            super::API_PORT_VAR
        );
        ScfApi {
            client: Client::new(endpoint, described.into(), RetryPolicy::default()),
        }
    }

    /// Ends init: `POST /runtime/init/ready` (samples send a single space).
    pub(crate) async fn ready(&mut self) -> Result<(), Error> {
        match self
            .client
            .post(&["/runtime/init/ready"], &[], b" ")
            .await?
        {
            PostStatus::Accepted => Ok(()),
            PostStatus::Rejected(status, body) => Err(Error::platform(format!(
                "{} refused init/ready with status {status}: {body}",
                self.client.described()
            ))),
        }
    }

    /// Waits for the next event; no client timeout.
    pub(crate) async fn next(&mut self) -> Result<RawResponse, Error> {
        self.client.get_ok(&["/runtime/invocation/next"]).await
    }

    /// Posts the result of the current invocation.
    pub(crate) async fn respond(
        &mut self,
        content_type: &str,
        body: &[u8],
    ) -> Result<PostStatus, Error> {
        self.client
            .post(
                &["/runtime/invocation/response"],
                &[("Content-Type", content_type)],
                body,
            )
            .await
    }

    /// Posts the failure of the current invocation.
    pub(crate) async fn report_error(&mut self, body: &[u8]) -> Result<PostStatus, Error> {
        self.client
            .post(
                &["/runtime/invocation/error"],
                &[("Content-Type", "application/json")],
                body,
            )
            .await
    }
}
