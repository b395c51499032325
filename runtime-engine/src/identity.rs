//! Who called the function and with which credentials.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;

/// The mobile client context AWS passes in `Lambda-Runtime-Client-Context`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct ClientContext {
    /// The calling application.
    #[serde(default)]
    pub client: ClientApplication,
    /// Custom values set by the caller.
    #[serde(default)]
    pub custom: HashMap<String, String>,
    /// Environment values set by the mobile SDK.
    #[serde(default)]
    pub env: HashMap<String, String>,
}

/// The application part of a [`ClientContext`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[non_exhaustive]
pub struct ClientApplication {
    /// Installation id of the app.
    #[serde(default, alias = "installation_id")]
    pub installation_id: String,
    /// App title.
    #[serde(default, alias = "app_title")]
    pub app_title: String,
    /// App version name.
    #[serde(default, alias = "app_version_name")]
    pub app_version_name: String,
    /// App version code.
    #[serde(default, alias = "app_version_code")]
    pub app_version_code: String,
    /// App package name.
    #[serde(default, alias = "app_package_name")]
    pub app_package_name: String,
}

/// The Amazon Cognito identity AWS passes in `Lambda-Runtime-Cognito-Identity`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CognitoIdentity {
    /// The authenticated identity.
    #[serde(default)]
    pub cognito_identity_id: String,
    /// The identity pool that authorised the call.
    #[serde(default)]
    pub cognito_identity_pool_id: String,
}

/// Temporary credentials the platform hands the function (Alibaba FC passes
/// them per request). `Debug` never prints the secret or the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id; not secret on its own.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token.
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_is_redacted() {
        let creds = Credentials {
            access_key_id: "AKID".into(),
            secret_access_key: "s3cr3t".into(),
            session_token: Some("t0k3n".into()),
        };
        let text = format!("{creds:?}");
        assert!(text.contains("AKID"));
        assert!(!text.contains("s3cr3t"));
        assert!(!text.contains("t0k3n"));
    }
}
