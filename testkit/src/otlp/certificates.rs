//! [`TestCertificates`]: a throw-away CA and a server certificate for
//! `127.0.0.1` and `localhost` signed by it, made with `rcgen`, for
//! exports over TLS to an [`OtlpReceiver`](super::OtlpReceiver).

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A CA and a server certificate (with key) it signed, all PEM.
#[derive(Clone, Debug)]
pub struct TestCertificates {
    /// The CA's certificate: what a client must trust.
    pub ca_pem: String,
    /// The server's certificate, for `127.0.0.1` and `localhost`.
    pub server_pem: String,
    /// The server's private key (PKCS#8).
    pub server_key_pem: String,
}

impl TestCertificates {
    /// Makes a fresh CA and server certificate.
    pub fn generate() -> Result<TestCertificates, rcgen::Error> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "light-runtime test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_pem = ca_params.self_signed(&ca_key)?.pem();
        let issuer = Issuer::new(ca_params, ca_key);
        let server_key = KeyPair::generate()?;
        let mut server_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
        server_params
            .distinguished_name
            .push(DnType::CommonName, "light-runtime test collector");
        let server_pem = server_params.signed_by(&server_key, &issuer)?.pem();
        Ok(TestCertificates {
            ca_pem,
            server_pem,
            server_key_pem: server_key.serialize_pem(),
        })
    }

    /// Writes the CA certificate to `dir/ca.pem`, for
    /// `OTEL_EXPORTER_OTLP_CERTIFICATE`, and returns the path.
    pub fn write_ca(&self, dir: &Path) -> std::io::Result<PathBuf> {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.ca_pem)?;
        Ok(path)
    }
}
