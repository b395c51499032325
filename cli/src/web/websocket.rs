//! An upgrade (a websocket) passed through on push platforms: the client's
//! upgrade request goes to the app as it is; when the app switches
//! protocols (`101`), the client is answered `101` with the app's headers
//! (`sec-websocket-accept`, ...), and once both sides have switched, bytes
//! are copied both ways until either side closes.
//!
//! The invocation ends with the `101`: hooks and layers see the handshake,
//! not each message, and the connection lives on outside the deadline.

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use light_runtime::BoxError;

/// Whether `request` asks to switch protocols and the platform's server
/// lets it (hyper's `OnUpgrade` is there): the client's side of the
/// connection, to take once the app has switched.
pub(crate) fn client_side<B>(request: &http::Request<B>) -> Option<OnUpgrade> {
    if !request.headers().contains_key(http::header::UPGRADE) {
        return None;
    }
    request.extensions().get::<OnUpgrade>().cloned()
}

/// The app's `101` answer, passed to the client, the two connections
/// spliced in the background once both have switched.
pub(crate) fn splice(
    client: OnUpgrade,
    mut switched: http::Response<Incoming>,
) -> http::Response<UnsyncBoxBody<Bytes, BoxError>> {
    let app = hyper::upgrade::on(&mut switched);
    tokio::spawn(async move {
        let (client, app) = match tokio::try_join!(client, app) {
            Ok(both) => both,
            Err(error) => {
                tracing::warn!("a websocket could not be passed through: {error}");
                return;
            }
        };
        let (mut client, mut app) = (TokioIo::new(client), TokioIo::new(app));
        if let Err(error) = tokio::io::copy_bidirectional(&mut client, &mut app).await {
            tracing::debug!("a websocket passed through ended: {error}");
        }
    });
    switched.map(|_| Empty::new().map_err(|never| match never {}).boxed_unsync())
}
