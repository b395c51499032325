//! [`GatewayEventError`]: a gateway's event that cannot be read as a request,
//! or a response that cannot be written in the gateway's shape.

use std::fmt;

use super::Gateway;

/// A gateway event that is not a valid request, or a response the gateway
/// could not carry; the message names the gateway and what was wrong.
#[derive(Debug)]
pub struct GatewayEventError {
    gateway: Gateway,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// The event does not match the gateway's shape.
    Shape(serde_json::Error),
    /// `isBase64Encoded` is true but the body is not base64.
    Base64(base64::DecodeError),
    /// A field holds something HTTP cannot carry (method, header, URI).
    Field {
        field: &'static str,
        message: String,
    },
    /// The response could not be written as the gateway's JSON.
    Response(serde_json::Error),
}

impl GatewayEventError {
    pub(crate) fn shape(gateway: Gateway, error: serde_json::Error) -> Self {
        GatewayEventError {
            gateway,
            kind: Kind::Shape(error),
        }
    }

    pub(crate) fn base64(gateway: Gateway, error: base64::DecodeError) -> Self {
        GatewayEventError {
            gateway,
            kind: Kind::Base64(error),
        }
    }

    pub(crate) fn field(gateway: Gateway, field: &'static str, message: impl fmt::Display) -> Self {
        GatewayEventError {
            gateway,
            kind: Kind::Field {
                field,
                message: message.to_string(),
            },
        }
    }

    pub(crate) fn response(gateway: Gateway, error: serde_json::Error) -> Self {
        GatewayEventError {
            gateway,
            kind: Kind::Response(error),
        }
    }

    /// The gateway whose event or response this is.
    pub fn gateway(&self) -> Gateway {
        self.gateway
    }

    /// Whether the fault is the event's (a malformed request), not the
    /// function's response.
    pub fn is_malformed_event(&self) -> bool {
        !matches!(self.kind, Kind::Response(_))
    }
}

impl fmt::Display for GatewayEventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gateway = self.gateway;
        match &self.kind {
            Kind::Shape(error) => write!(
                f,
                "the event looks like a request from the {gateway} but does not match its shape: {error}"
            ),
            Kind::Base64(error) => write!(
                f,
                "the {gateway} request says `isBase64Encoded: true` but its `body` is not base64: {error}"
            ),
            Kind::Field { field, message } => {
                write!(f, "the {gateway} request's `{field}` is not valid HTTP: {message}")
            }
            Kind::Response(error) => write!(
                f,
                "the function's HTTP response cannot be written as a {gateway} response \
                 (header values must be UTF-8): {error}"
            ),
        }
    }
}

impl std::error::Error for GatewayEventError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Shape(error) | Kind::Response(error) => Some(error),
            Kind::Base64(error) => Some(error),
            Kind::Field { .. } => None,
        }
    }
}
