//! The rustls client configuration of an `https://` export: the system's
//! root certificates, or the CA file of `OTEL_EXPORTER_OTLP_CERTIFICATE`,
//! and a client certificate for mutual TLS.
//!
//! The `ring` provider is named explicitly rather than taken from the
//! process default, so that another crate in the function turning on a
//! second provider cannot make the export fail at run time.

use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::otel::otlp_settings::{Named, OtlpSettings};

/// The client configuration for `settings`, offering `alpn` (`h2` for
/// gRPC, `http/1.1` otherwise). `Err` names the variable whose file is the
/// problem.
pub(crate) fn client_config(
    settings: &OtlpSettings,
    alpn: &[u8],
) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    match &settings.certificate {
        Some(file) => {
            for certificate in certificates(file)? {
                roots
                    .add(certificate)
                    .map_err(|error| unusable(file, &error.to_string()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            // A bundle with a few odd entries is still usable.
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                let errors: Vec<String> = found.errors.iter().map(|e| e.to_string()).collect();
                return Err(format!(
                    "{} is an https:// URL but no system root certificates were found{}; \
                     set OTEL_EXPORTER_OTLP_CERTIFICATE to a PEM file of the CA to trust",
                    settings.url_source,
                    if errors.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", errors.join("; "))
                    }
                ));
            }
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS set-up failed: {error}"))?
        .with_root_certificates(roots);
    let mut config = match (&settings.client_certificate, &settings.client_key) {
        (Some(chain), Some(key_file)) => {
            let key = PrivateKeyDer::from_pem_file(&key_file.value)
                .map_err(|error| unusable(key_file, &error.to_string()))?;
            builder
                .with_client_auth_cert(certificates(chain)?, key)
                .map_err(|error| unusable(key_file, &error.to_string()))?
        }
        _ => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![alpn.to_vec()];
    Ok(Arc::new(config))
}

/// The certificates of a PEM file; none is an error.
fn certificates(file: &Named) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_file_iter(&file.value)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|error| unusable(file, &error.to_string()))?;
    if certificates.is_empty() {
        return Err(unusable(file, "it holds no PEM certificate"));
    }
    Ok(certificates)
}

fn unusable(file: &Named, why: &str) -> String {
    format!("{}=`{}` cannot be used: {why}", file.variable, file.value)
}
